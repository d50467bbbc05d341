from django.core.management.base import BaseCommand, CommandError

from fangpin.registry.demo import DEFAULT_HOUSEHOLDS, DEFAULT_PROFILE, DEFAULT_SEED, DemoError, build_demo


class Command(BaseCommand):
    help = "生成演示县：真实的县和乡镇、合成的村组网格、农户、成员、收入和标签，以及各角色演示账号"

    def add_arguments(self, parser):
        parser.add_argument("--profile", default=DEFAULT_PROFILE, help="县级政策画像标识（默认 suixi 濉溪县）")
        parser.add_argument("--households", type=int, default=DEFAULT_HOUSEHOLDS, help="户数（默认 60000）")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="随机种子：相同种子生成相同数据")
        parser.add_argument("--if-empty", action="store_true", help="该县已有农户时不重新生成")
        parser.add_argument("--force", action="store_true", help="清空该县的演示数据后重新生成")
        parser.add_argument("--as-of", default=None, help="数据基准日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, **opts):
        import datetime as dt

        as_of = None
        if opts["as_of"]:
            try:
                as_of = dt.date.fromisoformat(opts["as_of"])
            except ValueError:
                raise CommandError(f"--as-of 日期格式应为 YYYY-MM-DD，收到 {opts['as_of']}")
        try:
            result = build_demo(
                opts["profile"], opts["households"], opts["seed"], if_empty=opts["if_empty"], force=opts["force"],
                as_of=as_of, progress=not opts["no_progress"] and opts["verbosity"] > 0,
            )
        except DemoError as exc:
            raise CommandError(str(exc))
        if not result.built:
            self.stdout.write(result.message)
            return
        self.stdout.write(self.style.SUCCESS(
            f"{result.message}：{result.households}户、{result.members}人、收入记录{result.incomes}条、"
            f"标签{result.tags}个、新建区划{result.divisions}个，用时{result.seconds:.1f}秒"
        ))
