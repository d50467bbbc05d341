"""python -m fangpin.manage restore BACKUP_DIR [--force] — restore a backup into an empty database and
data folder (R-OPS-02). Stop the web server and the worker first."""

from django.core.management.base import BaseCommand, CommandError

from fangpin.ops.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "从备份恢复数据库和上传文件（须先停止网站服务和后台任务进程；目标须为空，否则加 --force）"

    def add_arguments(self, parser):
        parser.add_argument("backup", help="备份目录（backup 命令生成的 fangpin-日期-时间 目录）")
        parser.add_argument("--force", action="store_true",
                            help="目标数据库或上传文件目录不是空的也恢复（SQLite 文件和上传目录改名保留，PostgreSQL 中备份里有的表先删除再重建）")

    def handle(self, *args, **opts):
        try:
            result = restore_backup(opts["backup"], force=opts["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        m = result.manifest
        self.stdout.write(self.style.SUCCESS(
            f"已恢复 {m['created_at']} 的备份（{m['database']['kind']}，{len(result.counts)}张表，"
            f"上传文件{m['media']['files']}个），各表行数与备份清单一致"
        ))
        for path in result.moved_aside:
            self.stdout.write(f"原有数据已改名保留：{path}")
        if result.pending_migrations:
            self.stdout.write(self.style.WARNING(
                f"备份的数据库结构比本程序旧（{len(result.pending_migrations)}个迁移未执行）：请运行 python -m fangpin.manage migrate"
            ))
