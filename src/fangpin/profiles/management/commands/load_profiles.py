from django.core.management.base import BaseCommand

from fangpin.profiles.services import load_profiles


class Command(BaseCommand):
    help = "载入 profiles/ 目录下的县级政策画像（内容有变化时生成新版本）"

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=None)

    def handle(self, *args, **opts):
        for row, created in load_profiles(opts["dir"]):
            state = "新版本" if created else "未变化"
            self.stdout.write(f"{row.name}（{row.key}）v{row.version}：{state}")
