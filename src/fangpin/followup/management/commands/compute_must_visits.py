from django.core.management.base import BaseCommand, CommandError

from fangpin.areas.models import Division, Level


class Command(BaseCommand):
    help = "重新计算必访名单（六个必访、十必访）：默认全部县，可指定县级区划代码；建议每晚运行，导入后也运行一次"

    def add_arguments(self, parser):
        parser.add_argument("counties", nargs="*", help="县级区划代码（6位），不填为全部县")
        parser.add_argument("--as-of", default=None, help="基准日期 YYYY-MM-DD（默认今天）")

    def handle(self, *args, **opts):
        import datetime as dt

        from fangpin.audit.context import using_source

        from ...mustvisit import compute_county

        as_of = None
        if opts["as_of"]:
            try:
                as_of = dt.date.fromisoformat(opts["as_of"])
            except ValueError:
                raise CommandError(f"--as-of 日期格式应为 YYYY-MM-DD，收到 {opts['as_of']}")
        codes = opts["counties"] or list(
            Division.objects.filter(level=Level.COUNTY, active=True).order_by("code").values_list("code", flat=True))
        known = set(Division.objects.filter(level=Level.COUNTY, code__in=codes).values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise CommandError(f"县级区划代码不存在：{'、'.join(unknown)}")
        with using_source("command", "compute_must_visits"):
            for code in codes:
                result = compute_county(code, as_of)
                written = result.run.counts.get("written", 0) if result.run else 0
                self.stdout.write(f"{code}：必访名单 {result.households} 户（本次写入 {written} 户），用时 {result.seconds} 秒")
