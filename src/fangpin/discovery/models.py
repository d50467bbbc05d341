"""Leads (线索): possible risks from every discovery channel, before anyone has verified them (R-DISC-01).

A :class:`Lead` is one possible risk of one household (or of a person not yet in the registry). It
comes from any channel of R-DISC-01; every report of it is a :class:`LeadReport` — the first one and
each later report from any channel about the same household while the lead is open (duplicates are
merged, never repeated). The lead then runs its verification clocks (R-DISC-03, R-DISC-04):
dispatch to the township (county-originated leads), home verification by two named people, and
either an identification case opened from it (``Lead.case``, the case's ``origin_lead``) or closing
(销号) with a reason reported to the county. Serious individual or scale risks are flagged for a
joint investigation, the county informed within working days.

Deadlines are stored when a clock starts and recomputed when the calendar changes
(``services.recompute_deadlines``). Writes go through ``fangpin.discovery.services`` only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class Channel(models.TextChoices):
    """R-DISC-01: 3 + N channels (人防、技防、协防)."""

    SELF_DECLARATION = "self_declaration", "农户自主申报"
    VISIT = "visit", "干部走访排查（网格员/村干部）"
    DEPARTMENT_WARNING = "department_warning", "部门筛查预警"
    QR_SELF_DECLARATION = "qr_self_declaration", "扫码自主申报"
    ONLINE_PLATFORM = "online_platform", "网络平台"
    HOTLINE_12317 = "hotline_12317", "12317防返贫监测热线"
    HOTLINE_12345 = "hotline_12345", "12345政务服务热线"
    PETITION = "petition", "信访投诉"
    INSPECTION = "inspection", "巡视巡察、考核评估发现"
    HIGHER_FEEDBACK = "higher_feedback", "市、省反馈"
    PUBLIC_OPINION = "public_opinion", "舆情"


# Channels only the public self-declaration page uses (nobody types them in for someone else).
PUBLIC_CHANNELS = frozenset({Channel.QR_SELF_DECLARATION})


class LeadState(models.TextChoices):
    AWAITING_DISPATCH = "dispatch", "待县级转交乡镇"
    AWAITING_VERIFICATION = "verify", "待入户核实"
    AWAITING_CLOSING_REPORT = "report", "核实不符合，待报县销号"
    CASE_OPENED = "case_opened", "已启动识别程序"
    CLOSED = "closed", "已销号"


# A lead still waiting for its verification: a new report about the same household merges into it.
OPEN_STATES = (LeadState.AWAITING_DISPATCH, LeadState.AWAITING_VERIFICATION)
# States with a running clock (``current_due_on``).
CLOCK_STATES = (*OPEN_STATES, LeadState.AWAITING_CLOSING_REPORT)


class Outcome(models.TextChoices):
    OPEN_CASE = "open_case", "符合识别条件，启动识别程序"
    NOT_ELIGIBLE = "not_eligible", "不符合识别条件，销号"


class SeriousKind(models.TextChoices):
    INDIVIDUAL = "individual", "较严重的个体性风险"
    SCALE = "scale", "规模性风险"


class Lead(models.Model):
    reference = models.CharField("线索编号", max_length=30, unique=True)
    check_code = models.CharField("查询码", max_length=8)
    channel = models.CharField("来源渠道", max_length=24, choices=Channel.choices, db_index=True)
    source_detail = models.CharField("来源说明", max_length=200, blank=True,
                                     help_text="如 工单号、部门名称、信访件编号、反馈文件")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    reporter_name = models.CharField("反映人", max_length=60, blank=True)
    reporter_phone = models.CharField("反映人电话", max_length=20, blank=True)
    origin_code = models.CharField("发现单位区划代码", max_length=17, blank=True,
                                   help_text="登记人所在区划；县级及以上发现的线索须转交乡镇")
    division_code = models.CharField("所在区划代码", max_length=17, db_index=True)
    household = models.ForeignKey("registry.Household", verbose_name="农户", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="leads")
    # The person concerned as reported; for a person not in the registry the household is created
    # only when verification confirms the risk (through the registry's services).
    person_name = models.CharField("当事人姓名", max_length=40, blank=True)
    person_id_number = models.CharField("当事人身份证号", max_length=22, blank=True, db_index=True)
    person_phone = models.CharField("当事人联系电话", max_length=20, blank=True)
    address = models.CharField("住址", max_length=120, blank=True)
    risk_types = models.JSONField("风险类型", default=list, blank=True)
    description = models.TextField("情况描述")
    discovered_on = models.DateField("发现日期")
    raised_on = models.DateField("登记日期")
    raised_at = models.DateTimeField("登记时间", auto_now_add=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="核实责任人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="assigned_leads")

    state = models.CharField("状态", max_length=12, choices=LeadState.choices, db_index=True)
    clock_started_on = models.DateField("当前环节开始日期")
    current_due_on = models.DateField("当前环节期限", null=True, blank=True, db_index=True)
    due_warnings = models.JSONField("期限提示", default=list, blank=True)
    params = models.JSONField("所用参数", default=dict, blank=True)

    dispatched_on = models.DateField("转交乡镇日期", null=True, blank=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="转交人", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    dispatch_note = models.CharField("转交说明", max_length=300, blank=True)

    visited_on = models.DateField("入户核实日期", null=True, blank=True)
    verified_on = models.DateField("核实办理日期", null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="核实办理人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    verifiers = models.JSONField("核实人员（两人同行）", default=list, blank=True)
    findings = models.TextField("核实情况", blank=True)
    outcome = models.CharField("核实结论", max_length=14, choices=Outcome.choices, blank=True)
    case = models.OneToOneField("cases.Case", verbose_name="启动的识别案件", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="origin_lead")

    close_reason = models.TextField("销号理由", blank=True)
    closed_on = models.DateField("报县销号日期", null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="销号人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")

    serious_kind = models.CharField("严重风险", max_length=10, choices=SeriousKind.choices, blank=True)
    serious_note = models.TextField("严重风险情况", blank=True)
    serious_departments = models.CharField("会同调查的县级部门", max_length=200, blank=True)
    serious_flagged_on = models.DateField("标记日期", null=True, blank=True)
    serious_flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="标记人", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    serious_report_due_on = models.DateField("告知县级期限", null=True, blank=True, db_index=True)
    serious_due_warnings = models.JSONField("告知期限提示", default=list, blank=True)
    serious_reported_on = models.DateField("告知县级日期", null=True, blank=True)
    serious_report = models.TextField("调查情况", blank=True)

    version = models.PositiveIntegerField("版本", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "线索"
        verbose_name_plural = "线索"
        ordering = ["-raised_on", "-id"]
        indexes = [
            models.Index(fields=["division_code", "state"], name="lead_scope_state"),
            models.Index(fields=["state", "current_due_on"], name="lead_state_due"),
            models.Index(fields=["division_code", "-raised_on"], name="lead_scope_raised"),
        ]
        constraints = [
            # Duplicates are merged (R-DISC-01): one lead waiting for verification per household …
            models.UniqueConstraint(fields=["household"], condition=Q(state__in=["dispatch", "verify"]),
                                    name="lead_one_open_per_household"),
            # … and per person not yet in the registry.
            models.UniqueConstraint(fields=["person_id_number"],
                                    condition=Q(state__in=["dispatch", "verify"], household__isnull=True)
                                    & ~Q(person_id_number=""),
                                    name="lead_one_open_per_unregistered_person"),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def serious_pending(self) -> bool:
        return bool(self.serious_kind) and self.serious_reported_on is None


class LeadReport(models.Model):
    """One report of a lead: the first one and every later one merged into it, with its channel."""

    lead = models.ForeignKey(Lead, verbose_name="线索", on_delete=models.PROTECT, related_name="reports")
    reference = models.CharField("受理编号", max_length=30, unique=True)
    check_code = models.CharField("查询码", max_length=8)
    channel = models.CharField("来源渠道", max_length=24, choices=Channel.choices, db_index=True)
    source_detail = models.CharField("来源说明", max_length=200, blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    reporter_name = models.CharField("反映人", max_length=60, blank=True)
    reporter_phone = models.CharField("反映人电话", max_length=20, blank=True)
    risk_types = models.JSONField("风险类型", default=list, blank=True)
    description = models.TextField("情况描述")
    discovered_on = models.DateField("发现日期")
    reported_on = models.DateField("登记日期")
    reported_at = models.DateTimeField("登记时间", auto_now_add=True)
    merged = models.BooleanField("合并到已有线索", default=False)

    class Meta:
        verbose_name = "线索反映记录"
        verbose_name_plural = "线索反映记录"
        ordering = ["lead", "id"]

    def __str__(self):
        return self.reference


def attachment_path(instance, filename):
    return f"leads/{instance.lead.reference}/{filename}"


class LeadAttachment(models.Model):
    """Photos and documents sent with a report or the verification (same limits as case evidence)."""

    lead = models.ForeignKey(Lead, verbose_name="线索", on_delete=models.PROTECT, related_name="attachments")
    report = models.ForeignKey(LeadReport, verbose_name="反映记录", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="attachments")
    stage = models.CharField("环节", max_length=12, default="report")
    file = models.FileField("文件", upload_to=attachment_path)
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "线索材料"
        verbose_name_plural = "线索材料"
        ordering = ["lead", "id"]

    def __str__(self):
        return self.name
