"""python -m fangpin.manage sweep_jobs — mark background jobs whose worker died as interrupted (R-OPS-03).

Every kind of job (imports, exports, later feed deliveries, warning and quality runs): a job queued
for longer than FANGPIN_IMPORT_STALL_SECONDS (default 30 minutes) or running without a heartbeat for
FANGPIN_JOB_DEAD_SECONDS (default 5 minutes) is marked interrupted; nothing of it was written (each
job writes in one transaction) and the user can run it again. The pages do the same when a job is
opened; this command, run by a timer (deploy/fangpin-sweep.timer), does it for jobs nobody looks at.
Quiet when there is nothing to mark.
"""

from django.core.management.base import BaseCommand
from django.db import OperationalError

from fangpin.jobs import kinds, services


class Command(BaseCommand):
    help = "将工作进程已停止的后台任务（导入、导出等）标记为中断（可重新运行），并列出仍在进行的任务"

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="只列出进行中的任务，不做标记")

    def handle(self, *args, **opts):
        marked = busy = 0
        for job in services.active_jobs():
            described = kinds.describe(job)
            if opts["list"] or not services.is_stale(job):
                if opts["list"] or opts["verbosity"] > 1:
                    self.stdout.write(f"{described}进行中（{job.get_state_display()}，{job.pct}%）")
                continue
            minutes = max(1, services.quiet_limit(job) // 60)
            try:
                done = services.interrupt_if_stale(job)
            except OperationalError:  # SQLite: an import holds the database; the next run marks it
                busy += 1
                continue
            if done:
                marked += 1
                self.stdout.write(f"{described}超过{minutes}分钟没有进展，已标记为中断")
        if busy:
            self.stdout.write(f"数据库正忙（正在写入大批数据），{busy}个任务留待下次标记")
        if not opts["list"] and (marked or opts["verbosity"] > 1):
            self.stdout.write(f"共标记{marked}个中断的任务")
