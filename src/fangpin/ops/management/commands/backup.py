"""python -m fangpin.manage backup [--output DIR] [--keep N] — a consistent online backup (R-OPS-02)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fangpin.ops.backup import BackupError, make_backup


class Command(BaseCommand):
    help = "在线备份：数据库（SQLite 在线备份接口 / PostgreSQL pg_dump）、上传文件和清单；服务无需停止"

    def add_arguments(self, parser):
        parser.add_argument("--output", help=f"备份存放目录（默认 FANGPIN_BACKUP_DIR，现为 {settings.FANGPIN_BACKUP_DIR}）")
        parser.add_argument(
            "--keep", type=int, default=None,
            help=f"只保留最新的N份备份，更早的删除；0 表示全部保留（默认 FANGPIN_BACKUP_KEEP，现为 {settings.FANGPIN_BACKUP_KEEP}）",
        )

    def handle(self, *args, **opts):
        if opts["keep"] is not None and opts["keep"] < 0:
            raise CommandError("--keep 不能是负数")
        try:
            result = make_backup(opts["output"], keep=opts["keep"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        m = result.manifest
        size = sum(f["bytes"] for f in m["files"].values())
        event = m["last_audit_event"]
        self.stdout.write(self.style.SUCCESS(
            f"备份完成：{result.path}（{m['database']['kind']}，{len(m['counts'])}张表，"
            f"上传文件{m['media']['files']}个，共{size / 1024 / 1024:.1f}MB，用时{m['seconds']}秒）"
        ))
        if event:
            self.stdout.write(f"最新一条操作留痕：#{event['id']} {event['at']}")
        for path in result.removed:
            self.stdout.write(f"已删除旧备份：{path}")
