"""Import jobs (national-system Excel exports in, R-INT-01/02) and export jobs (same layouts out, R-INT-03).

The background work of each (claim, progress, heartbeat, interrupted) is a ``jobs.Job`` linked one to
one: the import's dry run and its apply are two attempts of the same job. ``status`` here is the
import's or export's own course (checked, applied …), which the pages and the API show.
"""

from django.conf import settings
from django.db import models


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "已上传，等待预检"
    CHECKING = "checking", "预检中"
    CHECKED = "checked", "预检完成，等待确认导入"
    REJECTED = "rejected", "文件无法导入"
    APPLYING = "applying", "导入中"
    APPLIED = "applied", "已导入"
    FAILED = "failed", "导入失败（未写入任何数据）"


class ImportJob(models.Model):
    job = models.OneToOneField(
        "jobs.Job", verbose_name="后台任务", null=True, blank=True, on_delete=models.PROTECT, related_name="import_job"
    )
    county = models.ForeignKey("areas.Division", verbose_name="导入县（区）", on_delete=models.PROTECT, related_name="+")
    file = models.FileField("文件", upload_to="interop/imports/%Y/%m/")
    original_name = models.CharField("文件名", max_length=200)
    sha256 = models.CharField("文件SHA-256", max_length=64, db_index=True)
    size = models.BigIntegerField("文件大小", default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="空：由命令行以系统身份导入",
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="确认导入人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED, db_index=True)
    options = models.JSONField("导入选项", default=dict, blank=True)
    layout = models.CharField("识别出的表样", max_length=40, blank=True)
    sheet_name = models.CharField("工作表", max_length=100, blank=True)
    header_row = models.PositiveIntegerField("表头所在行", null=True, blank=True)
    row_count = models.PositiveIntegerField("数据行数", default=0)
    counts = models.JSONField("统计", default=dict, blank=True)
    preview = models.JSONField("预检摘要", default=dict, blank=True)
    refused_rows = models.PositiveIntegerField("拒绝行数", default=0)
    refused_households = models.PositiveIntegerField("拒绝户数", default=0)
    warning_count = models.PositiveIntegerField("提示条数", default=0)
    refused_confirmed = models.BooleanField("已确认查看拒绝行", default=False)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    checked_at = models.DateTimeField("预检完成时间", null=True, blank=True)
    applied_at = models.DateTimeField("导入完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "数据导入"
        verbose_name_plural = "数据导入"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"导入#{self.pk} {self.original_name}"

    @property
    def running(self) -> bool:
        return self.status in (ImportStatus.UPLOADED, ImportStatus.CHECKING, ImportStatus.APPLYING)

    @property
    def live_progress(self) -> tuple[int, str]:
        """(percent, phase) of the background work, as its worker last reported it."""
        if self.job is None:
            return (0, "") if self.running else (100, "")
        return self.job.live_progress

    @property
    def source_ref(self) -> str:
        """What every audit event written by this import names as its source."""
        return f"{self.original_name[:160]} sha256:{self.sha256} 导入#{self.pk}"


class IssueLevel(models.TextChoices):
    REFUSED = "refused", "拒绝"
    WARNING = "warning", "提示"


class ImportIssue(models.Model):
    """One problem found in the file: a refused row (its household is not imported) or a warning."""

    job = models.ForeignKey(ImportJob, verbose_name="导入", on_delete=models.CASCADE, related_name="issues")
    level = models.CharField("级别", max_length=10, choices=IssueLevel.choices)
    row = models.PositiveIntegerField("行号", null=True, blank=True)
    column = models.CharField("列", max_length=100, blank=True)
    household_number = models.CharField("户编号", max_length=40, blank=True)
    message = models.CharField("说明", max_length=500)

    class Meta:
        verbose_name = "导入问题"
        verbose_name_plural = "导入问题"
        ordering = ["job", "level", "row", "id"]
        indexes = [models.Index(fields=["job", "level", "row"], name="importissue_job_level_row")]

    def __str__(self):
        return f"第{self.row}行 {self.column}：{self.message}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
    INTERRUPTED = "interrupted", "已中断"


class ExportJob(models.Model):
    job = models.OneToOneField(
        "jobs.Job", verbose_name="后台任务", null=True, blank=True, on_delete=models.PROTECT, related_name="export_job"
    )
    county = models.ForeignKey("areas.Division", verbose_name="县（区）", on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField("导出范围", max_length=17)
    layout = models.CharField("表样", max_length=40)
    national_style = models.BooleanField("仿国家系统导出格式", default=False)
    status = models.CharField("状态", max_length=12, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    file = models.FileField("文件", upload_to="interop/exports/%Y/%m/", blank=True)
    row_count = models.PositiveIntegerField("行数", default=0)
    error = models.TextField("错误", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导出人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "数据导出"
        verbose_name_plural = "数据导出"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"导出#{self.pk} {self.layout}"

    @property
    def running(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def progress(self) -> int:
        if self.job is None:
            return 100 if not self.running else 0
        return self.job.pct
