"""Create a real county's own division record, the one its first national-system import goes into.

    python -m fangpin.manage create_county 340621 濉溪县

The county's profile (a file in profiles/ with this ``county_code``, loaded by ``load_profiles``) must be
there first: it decides the county's rules. Townships, villages and groups come with the national
import; groups' grids are split in the pages. Audited like every division write (source: command).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fangpin.areas.models import Level
from fangpin.audit.context import using_source
from fangpin.policy.profiles import ProfileError
from fangpin.profiles.services import profile_for_county
from fangpin.registry.divisions import create_division


class Command(BaseCommand):
    help = "新建县（区）区划（该县的政策画像须已载入），供国家系统数据首次导入"

    def add_arguments(self, parser):
        parser.add_argument("code", help="县级区划代码（6位数字）")
        parser.add_argument("name", help="县（区）名称，如 濉溪县")

    def handle(self, *args, **opts):
        code, name = opts["code"].strip(), opts["name"].strip()
        if not code.isdigit() or len(code) != 6:
            raise CommandError(f"县级区划代码应为6位数字：{code or '（空）'}")
        try:
            profile = profile_for_county(code)
        except ProfileError:
            raise CommandError(
                f"区划 {code} 没有载入县级政策画像：先把该县的画像文件放入 profiles/（county_code = \"{code}\"），"
                "再运行 load_profiles"
            )
        try:
            with using_source("command", f"create_county {code}"):
                county = create_division(None, parent=None, level=Level.COUNTY, code=code, name=name, profile_key=profile.key)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages))
        self.stdout.write(f"已新建 {county.name}（{county.code}），政策画像 {profile.key}（第{profile.version}版）")
