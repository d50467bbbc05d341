"""Export a county in a national-system layout.

    python -m fangpin.manage export_national --county 340621 --layout monitoring OUT.xlsx [--national-style]
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fangpin.interop.export import export_county
from fangpin.interop.layouts import layouts
from fangpin.jobs.progress import progress_bar

from ._common import resolve_county


class Command(BaseCommand):
    help = "按国家系统导出表样导出一个县（区）的数据"

    def add_arguments(self, parser):
        parser.add_argument("out")
        parser.add_argument("--county", help="县（区）区划代码")
        parser.add_argument("--profile", help="按政策画像键名找县（区），如 suixi")
        parser.add_argument("--layout", default="monitoring", choices=sorted(layouts()), help="表样（默认 monitoring）")
        parser.add_argument("--division", default="", help="只导出该区划（乡镇、村）范围")
        parser.add_argument("--national-style", action="store_true",
                            help="仿国家系统导出的格式：电话、日期存为数值单元格，全字段表性别写1/2（证件号码始终为文本）")

    def handle(self, *args, **opts):
        county = resolve_county(opts.get("county"), opts.get("profile"))
        Path(opts["out"]).parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            with progress_bar("导出") as progress:
                rows = export_county(county, opts["layout"], opts["out"], division_code=opts["division"],
                                     national_style=opts["national_style"], progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"已导出{rows}行到 {opts['out']}（{layouts()[opts['layout']].title}，{time.monotonic() - started:.1f}秒）")
