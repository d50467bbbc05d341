from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("生成月访视计划（监测对象每月一次帮扶联系人走访；按县级画像含脱贫户、网格监测员走访）："
            "默认全部有农户的县、当月；可重复运行（不会重复生成），建议每天运行")

    def add_arguments(self, parser):
        parser.add_argument("--county", default=None, help="县级区划代码（6位），不填为全部有农户的县")
        parser.add_argument("--month", default=None, help="月份 YYYY-MM（默认本月，北京时间）")

    def handle(self, *args, **opts):
        from django.core.exceptions import ValidationError

        from fangpin.areas.models import Division, Level
        from fangpin.audit.context import using_source
        from fangpin.profiles.services import today

        from ...schedule import counties_with_households, generate, month_start

        try:
            month = month_start(opts["month"]) if opts["month"] else today().replace(day=1)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages))
        if opts["county"]:
            code = opts["county"].strip()
            if not Division.objects.filter(level=Level.COUNTY, code=code).exists():
                raise CommandError(f"县级区划代码不存在：{code}")
            codes = [code]
        else:
            codes = counties_with_households()
        with using_source("command", "generate_visit_schedules"):
            for code in codes:
                c = generate(code, month)
                self.stdout.write(f"{code} {month:%Y-%m}：新增 {c['created']}，更新 {c['updated']}，移除 {c['removed']}，"
                                  f"共 {c['total']} 条，用时 {c['seconds']} 秒")
