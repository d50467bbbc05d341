"""Procedure cases: identification today; elimination, rollback and removal run on the same engine.

A :class:`Case` runs one procedure for one household. The procedure definition it runs on is
copied from the county profile when the case opens (``procedure_def``), so a later profile change
never rewrites a running or closed case (R-CFG-01). Every step attempt is a :class:`CaseStep` row
with its actor, dates, evidence, outcome and the parameter values it used (R-ID-04). Notices and
announcements are batch documents (:class:`Notice`) listing several cases (R-ID-06).

Writes go through ``fangpin.cases.services`` only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from fangpin.policy.procedures import ProcedureDef


class CaseStatus(models.TextChoices):
    OPEN = "open", "办理中"
    FILED = "filed", "已纳入"
    REJECTED = "rejected", "不予纳入"


class CaseSource(models.TextChoices):
    APPLICATION = "application", "农户主动申请"
    LEAD = "lead", "排查预警线索"


class Phase(models.TextChoices):
    """Where the current step stands (only notice steps have more than one phase)."""

    PENDING = "", "待办理"
    DECIDED = "decided", "已研究确定，待发布公示"
    IN_NOTICE = "in_notice", "公示中"


class StepStatus(models.TextChoices):
    CURRENT = "current", "办理中"
    DONE = "done", "已完成"
    REJECTED = "rejected", "不予通过"
    RETURNED = "returned", "退回重新核实"


class CaseSequence(models.Model):
    """Number counter per prefix (case or notice kind), division and year."""

    prefix = models.CharField(max_length=4)
    scope_code = models.CharField(max_length=12)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "scope_code", "year"], name="case_sequence_unique")]

    def __str__(self):
        return f"{self.prefix}-{self.scope_code}-{self.year}: {self.last}"


class Case(models.Model):
    reference = models.CharField("受理编号", max_length=30, unique=True)
    check_code = models.CharField("查询码", max_length=8)
    procedure = models.CharField("程序", max_length=40, default="identification")
    procedure_name = models.CharField("程序名称", max_length=80)
    procedure_def = models.JSONField("程序定义（受理时的县级画像）")
    profile_key = models.CharField("政策画像", max_length=40)
    profile_version = models.PositiveIntegerField("画像版本")
    household = models.ForeignKey("registry.Household", verbose_name="农户", on_delete=models.PROTECT, related_name="cases")
    division_code = models.CharField("所在区划代码", max_length=17, db_index=True)
    source = models.CharField("来源", max_length=12, choices=CaseSource.choices)
    lead_ref = models.CharField("线索编号", max_length=40, blank=True)
    lead_note = models.CharField("线索说明", max_length=300, blank=True)
    discovered_on = models.DateField("发现日期")
    opened_on = models.DateField("受理日期")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="受理人", null=True, on_delete=models.PROTECT, related_name="+"
    )

    # Application (户申请) — filled when the application step is done.
    applicant = models.ForeignKey(
        "registry.Member", verbose_name="申请人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applicant_name = models.CharField("申请人姓名", max_length=40, blank=True)
    application_date = models.DateField("申请日期", null=True, blank=True)
    reasons = models.TextField("申请理由", blank=True)
    risk_types = models.JSONField("风险类型", default=list, blank=True)
    category = models.CharField("拟纳入类别", max_length=40, blank=True)
    consent_signed = models.BooleanField("已签署承诺授权书", default=False)
    consent_date = models.DateField("承诺授权签署日期", null=True, blank=True)
    declaration = models.JSONField("申报情况", default=dict, blank=True)
    eligibility = models.JSONField("识别条件评估", default=dict, blank=True)
    eligibility_params = models.JSONField("评估所用参数", default=dict, blank=True)

    status = models.CharField("状态", max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN, db_index=True)
    current_step = models.CharField("当前步骤", max_length=40, blank=True, db_index=True)
    phase = models.CharField("当前步骤进度", max_length=12, choices=Phase.choices, blank=True, default="")
    current_due_on = models.DateField("当前步骤办理期限", null=True, blank=True, db_index=True)
    overall_due_on = models.DateField("总体办结期限", null=True, blank=True)
    overall_due_warnings = models.JSONField("期限提示", default=list, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    rejection_reason = models.TextField("不予纳入理由", blank=True)
    rejected_step = models.CharField("终止于步骤", max_length=40, blank=True)
    # After filing (R-ID-07): entry into the national monitoring system within the profile's days.
    filed_on = models.DateField("备案日期", null=True, blank=True)
    system_entry_due_on = models.DateField("录入国家系统期限", null=True, blank=True)
    system_entered_on = models.DateField("录入国家系统日期", null=True, blank=True)
    announced = models.BooleanField("已发布县级公告", default=False)
    version = models.PositiveIntegerField("版本", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "识别案件"
        verbose_name_plural = "识别案件"
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["status", "division_code"], name="case_status_scope"),
            models.Index(fields=["status", "current_due_on"], name="case_status_due"),
        ]

    def __str__(self):
        return self.reference

    @property
    def proc(self) -> ProcedureDef:
        cached = getattr(self, "_proc", None)
        if cached is None or cached[0] is not self.procedure_def:
            cached = (self.procedure_def, ProcedureDef.from_dict(self.procedure_def))
            self._proc = cached
        return cached[1]

    @property
    def current_step_def(self):
        if not self.current_step:
            return None
        return self.proc.step(self.current_step)

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN


class Notice(models.Model):
    """A printable notice (公示) or announcement (公告) listing the cases of a batch (R-ID-06)."""

    class Kind(models.TextChoices):
        VILLAGE = "village_notice", "村级公示"
        TOWNSHIP = "township_notice", "乡镇公示"
        COUNTY = "county_announcement", "县级公告"

    class Status(models.TextChoices):
        OPEN = "open", "公示中"
        CLOSED = "closed", "已结束"

    number = models.CharField("编号", max_length=40, unique=True)
    kind = models.CharField("类型", max_length=24, choices=Kind.choices)
    procedure = models.CharField("程序", max_length=40, default="identification")
    step_key = models.CharField("步骤", max_length=40)
    division_code = models.CharField("发布单位区划代码", max_length=12, db_index=True)
    division_name = models.CharField("发布单位", max_length=120)
    title = models.CharField("标题", max_length=120)
    days = models.PositiveSmallIntegerField("公示天数")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.OPEN)
    params = models.JSONField("所用参数", default=dict)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发布人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField("发布时间", auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="结束人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_on = models.DateField("结束办理日期", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "公示公告"
        verbose_name_plural = "公示公告"
        ordering = ["-starts_on", "-id"]

    def __str__(self):
        return self.title

    @property
    def gating(self) -> bool:
        return self.kind != Notice.Kind.COUNTY


class CaseStep(models.Model):
    """One attempt at one step of a case: who, when, evidence, outcome, due date (R-ID-04)."""

    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.PROTECT, related_name="steps")
    position = models.PositiveSmallIntegerField("顺序")
    key = models.CharField("步骤", max_length=40)
    kind = models.CharField("步骤类型", max_length=30)
    name = models.CharField("步骤名称", max_length=60)
    attempt = models.PositiveSmallIntegerField("第几次办理", default=1)
    status = models.CharField("状态", max_length=10, choices=StepStatus.choices, default=StepStatus.CURRENT)
    phase = models.CharField("进度", max_length=12, choices=Phase.choices, blank=True, default="")
    started_on = models.DateField("开始日期")
    due_on = models.DateField("办理期限", null=True, blank=True)
    due_warnings = models.JSONField("期限提示", default=list, blank=True)
    decided_on = models.DateField("研究确定日期", null=True, blank=True)
    completed_on = models.DateField("完成日期", null=True, blank=True)
    completed_at = models.DateTimeField("办理时间", null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="办理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField("办理人姓名", max_length=60, blank=True)
    actor_role = models.CharField("办理人角色", max_length=30, blank=True)
    outcome = models.CharField("结论", max_length=200, blank=True)
    payload = models.JSONField("办理内容与证据", default=dict, blank=True)
    params = models.JSONField("所用参数", default=dict, blank=True)
    notice = models.ForeignKey(
        Notice, verbose_name="公示", null=True, blank=True, on_delete=models.PROTECT, related_name="steps"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "办理步骤"
        verbose_name_plural = "办理步骤"
        ordering = ["case", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(status="current"), name="one_current_step_per_case"),
        ]

    def __str__(self):
        return f"{self.case.reference} {self.name}"


class NoticeEntry(models.Model):
    notice = models.ForeignKey(Notice, verbose_name="公示", on_delete=models.PROTECT, related_name="entries")
    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.PROTECT, related_name="notice_entries")
    step = models.ForeignKey(CaseStep, verbose_name="步骤", null=True, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField("序号")
    withdrawn = models.BooleanField("已撤出", default=False)
    withdrawn_reason = models.CharField("撤出原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "公示名单"
        verbose_name_plural = "公示名单"
        ordering = ["notice", "position"]
        constraints = [models.UniqueConstraint(fields=["notice", "case"], name="notice_entry_unique")]

    def __str__(self):
        return f"{self.notice.number} #{self.position}"


class Objection(models.Model):
    """An objection received during a notice period (R-ID-06); blocks the next step until resolved."""

    class Outcome(models.TextChoices):
        UNFOUNDED = "unfounded", "异议不成立，继续办理"
        REVERIFY = "reverify", "情况存疑，退回重新核实"
        UPHELD = "upheld", "异议成立，不予纳入"
        CLOSED = "closed", "案件已终止，一并办结"

    RESOLVABLE = ("unfounded", "reverify", "upheld")  # what a person may choose; CLOSED is set by the engine

    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.PROTECT, related_name="objections")
    step = models.ForeignKey(CaseStep, verbose_name="步骤", on_delete=models.PROTECT, related_name="objections")
    notice = models.ForeignKey(Notice, verbose_name="公示", on_delete=models.PROTECT, related_name="objections")
    received_on = models.DateField("收到日期")
    content = models.TextField("异议内容")
    raised_by = models.CharField("反映人（可匿名）", max_length=60, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    outcome = models.CharField("处理结果", max_length=12, choices=Outcome.choices, blank=True)
    resolution = models.TextField("核实处理情况", blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_on = models.DateField("处理日期", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        ordering = ["case", "id"]

    def __str__(self):
        return f"{self.case.reference} 异议"

    @property
    def is_open(self) -> bool:
        return not self.outcome


def attachment_path(instance, filename):
    return f"cases/{instance.case.reference}/{filename}"


class CaseAttachment(models.Model):
    """Evidence files (signed consent, visit photos, meeting minutes …)."""

    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.PROTECT, related_name="attachments")
    step = models.ForeignKey(CaseStep, verbose_name="步骤", null=True, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField("文件", upload_to=attachment_path)
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "证明材料"
        verbose_name_plural = "证明材料"
        ordering = ["case", "id"]

    def __str__(self):
        return self.name
