"""One record per background job, whatever its kind (R-OPS-03).

A job is created ``queued``; the worker's task claims it (``running``), reports progress and a
heartbeat while it works, and ends it ``succeeded`` or ``failed``. A job whose worker died is marked
``interrupted`` by the sweeper. Every enqueue of work for the job (an import's dry run, then its
apply; a re-run) starts a new *attempt*: the task carries the attempt it was sent for, so a task that
arrives late (after a re-run) or twice finds nothing to claim and does nothing.

What the job is about (the uploaded file, the layout, the counts) stays with the app that owns the
kind, linked one-to-one to its job (``interop.ImportJob.job``, ``interop.ExportJob.job``).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from . import heartbeat


class JobState(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"
    INTERRUPTED = "interrupted", "已中断"


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


def _token() -> str:
    return uuid.uuid4().hex


class Job(models.Model):
    kind = models.CharField("类型", max_length=40, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="空：由命令行以系统身份发起",
    )
    scope_code = models.CharField("范围（区划代码）", max_length=17, blank=True, db_index=True)
    state = models.CharField("状态", max_length=12, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    attempt = models.PositiveIntegerField("第几次运行", default=1, help_text="每次排队加一；任务只认它被派发时的那一次")
    token = models.CharField("标识", max_length=32, unique=True, default=_token, editable=False)
    progress = models.PositiveSmallIntegerField("进度", default=0)
    phase = models.CharField("进度说明", max_length=100, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    queued_at = models.DateTimeField("排队时间", default=timezone.now)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"任务#{self.pk} {self.kind}"

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def beat(self) -> heartbeat.Beat | None:
        """The latest heartbeat the worker wrote for the current attempt (None when there is none)."""
        if not self.active:
            return None
        return heartbeat.read(self.token, self.attempt)

    @property
    def live_progress(self) -> tuple[int, str]:
        """Progress as the worker last reported it: from its heartbeat file while the job is active (an
        apply holds its transaction open and cannot write the row), else from the row."""
        beat = self.beat
        if beat is not None:
            return beat.pct, beat.phase
        return self.progress, self.phase

    @property
    def pct(self) -> int:
        return self.live_progress[0]

    @property
    def live_phase(self) -> str:
        return self.live_progress[1]
