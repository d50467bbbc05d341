"""Import a national-system export from the command line: dry run, then (with --apply) write.

    python -m fangpin.manage import_national FILE --county 340621 [--apply] [--user USERNAME]
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fangpin.accounts.models import User
from fangpin.interop import jobs, services
from fangpin.interop.models import ImportStatus
from fangpin.jobs.progress import progress_bar

from ._common import resolve_county


class Command(BaseCommand):
    help = "导入国家防返贫监测系统导出的Excel/CSV文件（先预检，--apply 时写入）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--county", help="县（区）区划代码，如 340621")
        parser.add_argument("--profile", help="按政策画像键名找县（区），如 suixi")
        parser.add_argument("--apply", action="store_true", help="预检后写入数据库")
        parser.add_argument("--user", help="以该用户名义导入（须为县乡村振兴局或系统管理员）")
        parser.add_argument("--confirm-refused", action="store_true", help="确认已查看被拒绝的行，其余各户照常导入")
        parser.add_argument("--confirm-divisions", action="store_true", help="确认新建文件中出现的乡镇、村")
        parser.add_argument("--income-year", type=int, help="收入所属年度（文件没有“年度”列时）")
        parser.add_argument("--members-complete", action="store_true", help="文件包含各户全部成员：库中不在文件里的成员视为已离户")
        parser.add_argument("--expect-no-changes", action="store_true", help="预检发现任何新增或修改时以非零状态退出（用于往返校验）")
        parser.add_argument("--show", type=int, default=20, help="显示前N条拒绝/提示（默认20）")

    def handle(self, *args, **opts):
        county = resolve_county(opts.get("county"), opts.get("profile"))
        user = None
        if opts.get("user"):
            user = User.objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"没有用户 {opts['user']}")
        path = Path(opts["file"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        try:
            options = services.clean_options({"income_year": opts.get("income_year"), "members_complete": opts.get("members_complete")})
            with open(path, "rb") as fh:
                job = services.start_import(user, county, fh, options=options, name=path.name, enqueue=False)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages))
        self.stdout.write(f"导入#{job.pk}：{path.name}（{job.size / 1024 / 1024:.1f} MB）→ {county.name}")
        job = self._run(jobs.run_check, job, "预检")
        if job.status != ImportStatus.CHECKED:
            raise CommandError(job.error or job.get_status_display())
        self._summary(job, opts["show"])
        c = job.counts
        changes = c["households"]["create"] + c["households"]["update"] + c["divisions"]["create"]
        if opts["expect_no_changes"] and (changes or job.refused_rows):
            self.stderr.write(self.style.ERROR(f"往返校验失败：预检发现{changes}户将新增或修改，{job.refused_rows}行被拒绝"))
            sys.exit(1)
        if not opts["apply"]:
            self.stdout.write("仅预检，未写入数据（加 --apply 写入）。")
            return
        try:
            services.request_apply(user, job, refused_seen=opts["confirm_refused"], divisions_confirmed=opts["confirm_divisions"], enqueue=False)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages) + "（见 --confirm-refused / --confirm-divisions）")
        job = self._run(jobs.run_apply, job, "导入")
        if job.status != ImportStatus.APPLIED:
            raise CommandError(job.error or job.get_status_display())
        self.stdout.write(self.style.SUCCESS(f"导入完成（{job.applied_at:%Y-%m-%d %H:%M}）"))

    def _run(self, func, job, label):
        with progress_bar(label) as progress:
            return func(job.pk, progress)

    def _summary(self, job, show):
        c = job.counts
        h, m = c["households"], c["members"]
        self.stdout.write(
            f"表头第{job.header_row}行，数据{job.row_count}行（识别为“{job.layout}”表样）\n"
            f"户：新增{h['create']} 修改{h['update']} 不变{h['unchanged']} 拒绝{h['refused']}\n"
            f"人：新增{m['create']} 修改{m['update']} 不变{m['unchanged']} 拒绝{m['refused']} 迁移{m['moved']}\n"
            f"收入记录：新增{c['incomes']['create']} 修改{c['incomes']['update']}；帮扶措施：新增{c['measures']['create']} "
            f"修改{c['measures']['update']} 删除{c['measures']['delete']}；新建区划{c['divisions']['create']}个"
        )
        for d in job.preview.get("new_divisions", []):
            self.stdout.write(f"  将新建区划：{d['name']}（{d['code']}）")
        for level, title in (("refused", "拒绝"), ("warning", "提示")):
            qs = job.issues.filter(level=level)
            total = qs.count()
            if not total:
                continue
            self.stdout.write(f"{title}{total}条：")
            for issue in qs[:show]:
                where = f"第{issue.row}行" if issue.row else "表头"
                self.stdout.write(f"  {where}「{issue.column}」：{issue.message}")
            if total > show:
                self.stdout.write(f"  ……其余{total - show}条见页面或 --show")
