from django.core.management.base import BaseCommand

from fangpin.profiles.services import seed_calendar


class Command(BaseCommand):
    help = "从 chinese-calendar 导入官方节假日与调休安排（不覆盖管理员录入的日期）"

    def add_arguments(self, parser):
        parser.add_argument("--from-year", type=int, default=2020)
        parser.add_argument("--to-year", type=int, default=2030)

    def handle(self, *args, **opts):
        n = seed_calendar(opts["from_year"], opts["to_year"])
        self.stdout.write(f"新增日历调整日 {n} 天")
