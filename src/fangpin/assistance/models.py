"""Assistance (帮扶): the county policy catalogue, assistance contacts, one plan per household and its
measures (R-AID-01 … R-AID-08, R-ID-07).

- :class:`PolicyList` is a list of policies of one county and year: a department's submission
  (``kind = department``) or a version of the county catalogue the county office compiled and
  published (``kind = catalogue``, ``version`` 1, 2 …). A plan keeps the catalogue version it chose
  from; a later version never changes an earlier plan.
- :class:`Policy` is one row of a list in the 000 附件1 layout, with its conditions structured where
  possible (``conditions``) beside the original text (``conditions_text``).
- :class:`ContactAssignment` names a household's assistance contact (帮扶联系人); a reassignment ends
  the current row and starts a new one, so the history stays.
- :class:`Plan` is the household's plan (一户一策), with its working-day clocks.
- :class:`Measure` is one measure of a household. The measures the national import stores (one record
  per household and measure category with the original text, ``source = national``) are measures of
  the same model; a measure chosen from the catalogue carries its policy, kind, handler and clocks.

Deadlines are stored when a clock starts and recomputed when the calendar changes (registered with
``fangpin.profiles.deadlines``). Writes go through the assistance service modules only. Scoping goes
through the household (``household__division_code``), so a household that moves takes its plan,
contact and measures with it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class MeasureKind(models.TextChoices):
    """R-AID-04: developmental (开发式) or safety-net (兜底) assistance."""

    DEVELOPMENTAL = "developmental", "开发式帮扶"
    SAFETY_NET = "safety_net", "兜底保障"
    OTHER = "other", "其他帮扶"


class Handler(models.TextChoices):
    """R-AID-05: who carries a measure out — the township itself, or a county department on application."""

    TOWNSHIP = "township", "乡镇落实"
    DEPARTMENT = "department", "县级部门审批"


class ListKind(models.TextChoices):
    DEPARTMENT = "department", "部门政策清单"
    CATALOGUE = "catalogue", "县级政策清单"


class ListStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已报送"
    PUBLISHED = "published", "已发布"
    SUPERSEDED = "superseded", "已被新版本替代"


class PolicyList(models.Model):
    county = models.ForeignKey("areas.Division", verbose_name="县", on_delete=models.PROTECT, related_name="+")
    county_code = models.CharField("县区划代码", max_length=6, db_index=True)
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("清单类型", max_length=10, choices=ListKind.choices)
    department = models.CharField("部门", max_length=40, blank=True, help_text="部门清单填写；县级清单留空")
    version = models.PositiveSmallIntegerField("版本", default=0, help_text="县级清单的版本号；部门清单为 0")
    status = models.CharField("状态", max_length=10, choices=ListStatus.choices, default=ListStatus.DRAFT,
                              db_index=True)
    title = models.CharField("标题", max_length=120, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发布人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "政策清单"
        verbose_name_plural = "政策清单"
        ordering = ["county_code", "-year", "kind", "department", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year", "kind", "department", "version"],
                                    name="policylist_county_year_kind_department_version"),
        ]

    def __str__(self):
        if self.kind == ListKind.CATALOGUE:
            return f"{self.year}年县级政策清单（第{self.version}版）"
        return f"{self.year}年{self.department}政策清单"


class Policy(models.Model):
    policy_list = models.ForeignKey(PolicyList, verbose_name="所属清单", on_delete=models.PROTECT,
                                    related_name="policies")
    position = models.PositiveIntegerField("序号", default=0)
    type = models.CharField("帮扶类型", max_length=20, db_index=True)
    name = models.CharField("帮扶政策", max_length=100)
    content = models.TextField("帮扶政策具体内容")
    target_population = models.CharField("适用人群", max_length=300, blank=True)
    conditions_text = models.TextField("适用人群条件", blank=True)
    # Structured conditions (all optional; an absent key does not restrict):
    #   categories: [household category codes]    risk_types: [risk type names]
    #   labour: [member labour values]             min_age / max_age: int
    #   disability: bool (a member with a disability grade)
    #   student: bool (a member in school)         max_per_capita_income: "decimal" (yuan/year)
    #   social_assistance: ["低保", "特困"] (read from the text by the catalogue; informative, not matched)
    conditions = models.JSONField("适用条件（结构化）", default=dict, blank=True)
    procedure = models.TextField("申报程序（相关资料）", blank=True)
    department = models.CharField("部门", max_length=40, blank=True, db_index=True)
    contact_name = models.CharField("联系人", max_length=40, blank=True)
    office_phone = models.CharField("办公电话", max_length=30, blank=True)
    mobile = models.CharField("手机号码", max_length=20, blank=True)
    kind = models.CharField("帮扶性质", max_length=15, choices=MeasureKind.choices, default=MeasureKind.OTHER)
    handler = models.CharField("落实方式", max_length=10, choices=Handler.choices, default=Handler.TOWNSHIP)
    origin = models.ForeignKey("self", verbose_name="来源政策", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", help_text="县级清单中的政策由哪条部门政策汇总而来")

    class Meta:
        verbose_name = "帮扶政策"
        verbose_name_plural = "帮扶政策"
        ordering = ["policy_list", "position", "pk"]

    def __str__(self):
        return f"{self.type}·{self.name}"


class ContactAssignment(models.Model):
    household = models.ForeignKey("registry.Household", verbose_name="农户", on_delete=models.PROTECT,
                                  related_name="contact_assignments")
    contact = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="帮扶联系人", on_delete=models.PROTECT,
                                related_name="contact_assignments")
    assigned_on = models.DateField("确定日期")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确定人", null=True,
                                    on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("说明", max_length=200, blank=True)
    ended_on = models.DateField("结束日期", null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="结束操作人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    end_reason = models.CharField("结束原因", max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "帮扶联系人安排"
        verbose_name_plural = "帮扶联系人安排"
        ordering = ["household", "-assigned_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(ended_on__isnull=True),
                                    name="contact_one_current_per_household"),
        ]
        indexes = [models.Index(fields=["contact", "ended_on"], name="contact_current_idx")]

    def __str__(self):
        return f"{self.household_id} → {self.contact}"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "编制中"
    SUBMITTED = "submitted", "待县级审定"
    RETURNED = "returned", "已退回修改"
    APPROVED = "approved", "已审定"
    CLOSED = "closed", "已结束"


class Plan(models.Model):
    """One household's plan (一户一策, R-AID-03). One open plan per household (``status`` not closed)."""

    household = models.ForeignKey("registry.Household", verbose_name="农户", on_delete=models.PROTECT,
                                  related_name="plans")
    catalogue = models.ForeignKey(PolicyList, verbose_name="所依据的县级政策清单", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="plans")
    status = models.CharField("状态", max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT,
                              db_index=True)
    started_on = models.DateField("起算日期（识别认定/纳入时间）")
    due_on = models.DateField("方案制定期限", null=True, blank=True)
    due_warnings = models.JSONField("期限提示", default=list, blank=True)
    entry_due_on = models.DateField("措施录入国家系统期限", null=True, blank=True)
    entry_due_warnings = models.JSONField("录入期限提示", default=list, blank=True)
    entered_on = models.DateField("措施录入国家系统日期", null=True, blank=True)
    submitted_at = models.DateTimeField("报县审定时间", null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    approved_on = models.DateField("县级审定日期", null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审定人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    returned_reason = models.CharField("退回原因", max_length=300, blank=True)
    # The R-AID-04 check as it stood when the plan was last saved (codes and Chinese sentences).
    flags = models.JSONField("方案提示", default=list, blank=True)
    # R-AID-07: "已实施开发式帮扶" after the review found developmental measures in place.
    developmental_marked = models.BooleanField("已实施开发式帮扶", default=False)
    developmental_reviewed_on = models.DateField("开发式帮扶核查日期", null=True, blank=True)
    developmental_reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="核查人", null=True,
                                                  blank=True, on_delete=models.PROTECT, related_name="+")
    developmental_note = models.CharField("核查说明", max_length=300, blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "帮扶方案"
        verbose_name_plural = "帮扶方案"
        ordering = ["-started_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=~Q(status="closed"),
                                    name="plan_one_open_per_household"),
        ]

    def __str__(self):
        return f"帮扶方案 {self.household_id}（{self.get_status_display()}）"


class MeasureSource(models.TextChoices):
    NATIONAL = "national", "国家系统导入"
    LOCAL = "local", "本系统录入"


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", "待落实"
    APPLIED = "applied", "已报部门待答复"
    APPROVED = "approved", "部门已同意"
    REFUSED = "refused", "部门不予批准"
    IN_PLACE = "in_place", "已落实"
    CANCELLED = "cancelled", "已取消"


class Measure(models.Model):
    """One measure of one household.

    National-import records (``source = national``) hold one measure category of a household with the
    original text as the national system exports it (one cell per category, multi-select values joined
    by commas) and the split items; a re-import updates them in place (one record per household and
    category). Local records (``source = local``) are chosen from the catalogue in a plan: they carry
    the policy (and so the catalogue version), the member they are for (一人一措施) where there is one,
    the kind and handler, the status and the working-day clocks (R-AID-05).
    """

    household = models.ForeignKey(
        "registry.Household", verbose_name="农户", on_delete=models.PROTECT, related_name="measures"
    )
    category = models.CharField("帮扶类别", max_length=30, db_index=True)
    content = models.CharField("措施内容（原文）", max_length=500)
    items = models.JSONField("措施项", default=list, blank=True)
    source = models.CharField("来源", max_length=10, choices=MeasureSource.choices, default=MeasureSource.LOCAL)
    plan = models.ForeignKey(Plan, verbose_name="帮扶方案", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="measures")
    policy = models.ForeignKey(Policy, verbose_name="帮扶政策", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="measures")
    member = models.ForeignKey("registry.Member", verbose_name="受益成员", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="measures")
    kind = models.CharField("帮扶性质", max_length=15, choices=MeasureKind.choices, default=MeasureKind.OTHER)
    handler = models.CharField("落实方式", max_length=10, choices=Handler.choices, default=Handler.TOWNSHIP)
    department = models.CharField("负责部门", max_length=40, blank=True, db_index=True)
    status = models.CharField("状态", max_length=10, choices=MeasureStatus.choices, default=MeasureStatus.IN_PLACE,
                              db_index=True)
    year = models.PositiveSmallIntegerField("享受年度", null=True, blank=True, db_index=True)
    # Township measures: carried out by due_on. Department measures: application prepared by due_on,
    # then answered by answer_due_on (working days from applied_on).
    due_on = models.DateField("落实/报送期限", null=True, blank=True)
    due_warnings = models.JSONField("期限提示", default=list, blank=True)
    applied_on = models.DateField("报送部门日期", null=True, blank=True)
    answer_due_on = models.DateField("部门答复期限", null=True, blank=True)
    answer_due_warnings = models.JSONField("答复期限提示", default=list, blank=True)
    answered_on = models.DateField("部门答复日期", null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="答复人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    refusal_reason = models.CharField("不予批准理由", max_length=300, blank=True)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    start_month = models.DateField("起始月份", null=True, blank=True, help_text="该月1日")
    carried_out_on = models.DateField("落实日期", null=True, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "帮扶措施"
        verbose_name_plural = "帮扶措施"
        ordering = ["household", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "category"],
                condition=models.Q(source="national"),
                name="measure_national_household_category",
            )
        ]
        indexes = [
            models.Index(fields=["department", "status"], name="measure_department_status_idx"),
            models.Index(fields=["household", "year"], name="measure_household_year_idx"),
        ]

    def __str__(self):
        return f"{self.category}：{self.content}"
