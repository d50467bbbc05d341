"""python -m fangpin.manage sweep_jobs — mark background jobs that stopped making progress (R-OPS-03).

An import job waiting or running with no progress for FANGPIN_IMPORT_STALL_SECONDS is marked failed
(nothing of it was written: the apply is one transaction) so the officer can check it again. The pages
do the same when the job is opened; this command, run by a timer, does it for jobs nobody looks at.
"""

from django.core.management.base import BaseCommand

from fangpin.interop import jobs
from fangpin.interop.models import ImportJob, ImportStatus

RUNNING = (ImportStatus.UPLOADED, ImportStatus.CHECKING, ImportStatus.APPLYING)


class Command(BaseCommand):
    help = "将长时间没有进展的后台导入任务标记为中断（可重新预检），并列出仍在进行的任务"

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="只列出进行中的任务，不做标记")

    def handle(self, *args, **opts):
        marked = 0
        for job in ImportJob.objects.filter(status__in=RUNNING).select_related("county").order_by("pk"):
            status = job.get_status_display()
            if not opts["list"] and jobs.mark_if_stalled(job):
                marked += 1
                self.stdout.write(f"导入#{job.pk}（{job.county.name}，{status}）超过{jobs.STALL_SECONDS // 60}分钟没有进展，已标记为中断")
            elif opts["verbosity"] > 1 or opts["list"]:
                self.stdout.write(f"导入#{job.pk}（{job.county.name}，{status}）进行中")
        if not opts["list"] and (marked or opts["verbosity"] > 1):
            self.stdout.write(f"共标记{marked}个中断的任务")
