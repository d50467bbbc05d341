"""Visits, must-visit lists, sweeps and department screenings (R-DISC-05, R-DISC-06, R-DISC-07).

A :class:`Visit` is one contact with a household by a named person: for a must-visit list, a sweep, a
routine visit, and later the monthly follow-up of monitored households (the purpose says which). It
records who, when, how and what was found, structured (risk types) and in words.

:class:`MustVisitEntry` is the must-visit list as computed from the registry: one row per household on
at least one list, with the criteria that put it there (and their values) and the household's last
visit. It is derived data: ``fangpin.followup.mustvisit`` recomputes it set-based for a county (a
command, nightly), for a household when its registry data changes, and keeps ``last_visited_on`` in
step when a visit is recorded. :class:`MustVisitRun` keeps each computation with the criteria it used.

Writes go through ``fangpin.followup.services`` only.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models


class VisitMode(models.TextChoices):
    HOME = "home", "入户"
    PHONE = "phone", "电话"
    WECHAT = "wechat", "微信（视频）"
    OTHER = "other", "其他"


# Ways of visiting that are not at the household's home: allowed for a monthly visit only with a reason
# (003 第四步: 确因客观原因无法实地走访的，可采用电话、微信等方式).
REMOTE_MODES = {VisitMode.PHONE, VisitMode.WECHAT, VisitMode.OTHER}


class VisitPurpose(models.TextChoices):
    MUST_VISIT = "must_visit", "必访走访"
    SWEEP = "sweep", "拉网式排查"
    ROUTINE = "routine", "日常走访"
    MONTHLY = "monthly", "月访视"


class Visit(models.Model):
    household = models.ForeignKey("registry.Household", verbose_name="农户", on_delete=models.PROTECT, related_name="visits")
    # The household's place when the visit was recorded (the lists scope by the household's current place).
    division_code = models.CharField("走访时所在区划", max_length=17)
    visited_on = models.DateField("走访日期")
    mode = models.CharField("走访方式", max_length=8, choices=VisitMode.choices)
    purpose = models.CharField("走访类型", max_length=12, choices=VisitPurpose.choices, db_index=True)
    sweep = models.ForeignKey("Sweep", verbose_name="拉网式排查", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="visits")
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="走访人", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    visitor_name = models.CharField("走访人姓名", max_length=40)
    companion_name = models.CharField("同行人", max_length=40, blank=True)
    risk_found = models.BooleanField("发现风险", default=False)
    risk_types = models.JSONField("发现的风险类型", default=list, blank=True)
    findings = models.TextField("走访情况", max_length=1000, blank=True)
    # The lead raised in the same step (its reference number), when the visit found a risk.
    lead_reference = models.CharField("上报线索编号", max_length=40, blank=True)
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    # --- monthly follow-up (R-TRACK-01, R-TRACK-02) ---
    # The month a monthly visit counts for (its first day); one monthly visit per household and month.
    month = models.DateField("访视月份", null=True, blank=True)
    schedule = models.ForeignKey("VisitSchedule", verbose_name="走访计划", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="visits")
    remote_reason = models.CharField("未入户原因", max_length=200, blank=True)
    # The month's household income by source, kept as the registry's monthly income record.
    income_record = models.ForeignKey("registry.IncomeRecord", verbose_name="当月收入记录", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    income_total = models.DecimalField("当月家庭收入（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    # {"food": true, "clothing": true, "education": true, "medical": false, "housing": "B", "water": true,
    #  "note": "..."}: 两不愁三保障 and water as seen on the visit.
    basic_needs = models.JSONField("两不愁三保障及饮水情况", default=dict, blank=True)
    # [{"measure": id, "in_place": true, "effect": "good|fair|none", "note": "..."}]
    measures_status = models.JSONField("帮扶措施落实及成效", default=list, blank=True)
    # A client-made key per form: a form resubmitted after a network drop finds its visit instead of
    # making a second one.
    idempotency_key = models.CharField("提交标识", max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["household", "visited_on"], name="visit_household_on"),
            models.Index(fields=["sweep", "household"], name="visit_sweep_household"),
            models.Index(fields=["visited_on", "risk_found"], name="visit_on_risk"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["household", "month"], condition=models.Q(purpose="monthly"),
                                    name="visit_one_monthly_per_month"),
        ]

    def __str__(self):
        return f"{self.visited_on:%Y-%m-%d} {self.get_mode_display()}走访"


class MustVisitEntry(models.Model):
    """A household on at least one must-visit list, with why (R-DISC-05)."""

    household = models.OneToOneField("registry.Household", verbose_name="农户", on_delete=models.CASCADE,
                                      related_name="must_visit")
    division_code = models.CharField("所在区划代码", max_length=17)
    list_codes = models.CharField("所在名单", max_length=60, help_text="如 ,six,ten,")
    criteria_codes = models.CharField("命中条件", max_length=400, help_text="如 ,six:disaster,ten:disaster,")
    reasons = models.JSONField("列入原因", default=list)
    last_visited_on = models.DateField("最近走访", null=True, blank=True)
    computed_at = models.DateTimeField("计算时间")
    digest = models.CharField("摘要", max_length=32, help_text="所在区划、名单与原因的摘要：未变化的不重写")

    class Meta:
        verbose_name = "必访农户"
        verbose_name_plural = "必访名单"
        # The list's page is cut from this index alone (place range, then sorted by last visit): the
        # wide rows (reasons) are read only for the page's households.
        indexes = [models.Index(fields=["division_code", "last_visited_on", "household", "list_codes"],
                                name="mustvisit_scope_last")]

    def __str__(self):
        return f"必访：{self.household_id}"


class MustVisitRun(models.Model):
    """One computation of the lists for a county or part of it, with the criteria it used (R-CFG-01)."""

    county_code = models.CharField("县级区划代码", max_length=6, db_index=True)
    scope = models.CharField("计算范围", max_length=60)
    as_of = models.DateField("基准日期")
    params = models.JSONField("使用的参数", default=dict)
    households = models.PositiveIntegerField("列入户数", default=0)
    counts = models.JSONField("各条件户数", default=dict)
    seconds = models.FloatField("用时（秒）", default=0)
    computed_at = models.DateTimeField("计算时间", auto_now_add=True)

    class Meta:
        verbose_name = "必访名单计算"
        verbose_name_plural = "必访名单计算"
        ordering = ["-computed_at", "-id"]

    def __str__(self):
        return f"{self.county_code} {self.scope} {self.computed_at:%Y-%m-%d %H:%M}"


class SweepStatus(models.TextChoices):
    OPEN = "open", "进行中"
    CLOSED = "closed", "已结束"


class Sweep(models.Model):
    """A full-coverage sweep (拉网式排查) of a county's households (R-DISC-06, 000 二(一))."""

    county = models.ForeignKey("areas.Division", verbose_name="县（区）", on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField("县级区划代码", max_length=6, db_index=True)
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("名称", max_length=60)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    status = models.CharField("状态", max_length=8, choices=SweepStatus.choices, default=SweepStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    closed_on = models.DateField("结束于", null=True, blank=True)

    class Meta:
        verbose_name = "拉网式排查"
        verbose_name_plural = "拉网式排查"
        ordering = ["-year", "-starts_on", "-id"]
        constraints = [
            # One sweep in progress per county at a time: a sweep visit knows which sweep it counts for.
            models.UniqueConstraint(fields=["division_code"], condition=models.Q(status="open"),
                                    name="sweep_one_open_per_county"),
        ]

    def __str__(self):
        return self.name


def screening_path(instance, filename: str) -> str:
    return f"followup/screenings/{instance.division_code}/{instance.year}Q{instance.quarter}/{Path(filename).name}"


class DepartmentScreening(models.Model):
    """A department's sector-wide screening of a quarter, reported to the townships (R-DISC-07, 001 §三(四)1)."""

    county = models.ForeignKey("areas.Division", verbose_name="县（区）", on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField("县级区划代码", max_length=6, db_index=True)
    department = models.CharField("部门", max_length=40)
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    scope = models.CharField("排查范围", max_length=200)
    households_screened = models.PositiveIntegerField("排查户数")
    findings_count = models.PositiveIntegerField("发现问题数")
    note = models.TextField("情况说明", max_length=1000, blank=True)
    file = models.FileField("排查报告", upload_to=screening_path, blank=True)
    file_name = models.CharField("文件名", max_length=200, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField("报送时间", auto_now_add=True)

    class Meta:
        verbose_name = "行业部门排查"
        verbose_name_plural = "行业部门排查"
        ordering = ["-year", "-quarter", "department", "-id"]
        indexes = [models.Index(fields=["division_code", "year", "quarter"], name="screening_county_quarter")]

    def __str__(self):
        return f"{self.department} {self.year}年第{self.quarter}季度排查"


# --- monthly follow-up (R-TRACK-01 … R-TRACK-05) ----------------------------------------------------


class ScheduleKind(models.TextChoices):
    CONTACT = "contact", "帮扶联系人月访视"
    MONITOR = "monitor", "网格监测员走访"


class ScheduleReason(models.TextChoices):
    MONITORED = "monitored", "监测对象（风险未消除）"
    FORMERLY_POOR = "formerly_poor", "脱贫户"


class VisitSchedule(models.Model):
    """One household's visits due in one month by one kind of visitor (R-TRACK-01).

    Generated set-based each month (``fangpin.followup.schedule.generate``) for every monitored household
    whose risk is not eliminated and, where the profile says, for 脱贫户; kept in step when a visit is
    recorded. Overdue and escalation are read from ``due_on`` and the profile's days, never stored.
    """

    household = models.ForeignKey("registry.Household", verbose_name="农户", on_delete=models.CASCADE,
                                  related_name="visit_schedules")
    division_code = models.CharField("所在区划代码", max_length=17)
    month = models.DateField("月份", help_text="该月第一天")
    kind = models.CharField("走访类型", max_length=8, choices=ScheduleKind.choices, default=ScheduleKind.CONTACT)
    reason = models.CharField("列入原因", max_length=16, choices=ScheduleReason.choices)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="责任人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    responsible_name = models.CharField("责任人姓名", max_length=40, blank=True)
    visits_required = models.PositiveSmallIntegerField("应访次数", default=1)
    visits_done = models.PositiveSmallIntegerField("已访次数", default=0)
    last_visited_on = models.DateField("最近走访", null=True, blank=True)
    due_on = models.DateField("完成期限")
    done_on = models.DateField("完成日期", null=True, blank=True)
    generated_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = "月访视计划"
        verbose_name_plural = "月访视计划"
        ordering = ["due_on", "division_code", "household_id"]
        constraints = [
            models.UniqueConstraint(fields=["household", "month", "kind"], name="schedule_household_month_kind"),
        ]
        indexes = [
            models.Index(fields=["division_code", "done_on", "due_on"], name="schedule_scope_open"),
            models.Index(fields=["responsible", "done_on", "due_on"], name="schedule_person_open"),
            models.Index(fields=["month", "kind"], name="schedule_month_kind"),
        ]

    def __str__(self):
        return f"{self.month:%Y年%m月} {self.get_kind_display()}"


class MemberChangeKind(models.TextChoices):
    BIRTH = "birth", "出生"
    DEATH = "death", "死亡"
    MARRY_IN = "marry_in", "婚入"
    MARRY_OUT = "marry_out", "婚出"
    MOVE_IN = "move_in", "迁入"
    MOVE_OUT = "move_out", "迁出"


# Changes that add a person to the household (the proposal carries the person's data) and those that
# take one out (the proposal names the member).
JOINING_KINDS = {MemberChangeKind.BIRTH, MemberChangeKind.MARRY_IN, MemberChangeKind.MOVE_IN}
LEAVING_KINDS = {MemberChangeKind.DEATH, MemberChangeKind.MARRY_OUT, MemberChangeKind.MOVE_OUT}


class MemberChangeStatus(models.TextChoices):
    PROPOSED = "proposed", "待村级核实"
    APPLIED = "applied", "已核实并更新"
    REJECTED = "rejected", "核实不符"


class MemberChange(models.Model):
    """A change of household members seen on a visit (R-TRACK-02): proposed by the visitor, verified
    by the village, then applied to the registry through the registry's services (账实相符)."""

    household = models.ForeignKey("registry.Household", verbose_name="农户", on_delete=models.PROTECT,
                                  related_name="member_changes")
    division_code = models.CharField("所在区划代码", max_length=17, db_index=True)
    visit = models.ForeignKey(Visit, verbose_name="发现于走访", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="member_changes")
    kind = models.CharField("变动类型", max_length=10, choices=MemberChangeKind.choices)
    member = models.ForeignKey("registry.Member", verbose_name="变动成员", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    # For a person joining: name, id_number, gender, birth_date, relation …; as proposed.
    data = models.JSONField("变动信息", default=dict, blank=True)
    happened_on = models.DateField("变动日期")
    note = models.CharField("说明", max_length=200, blank=True)
    status = models.CharField("状态", max_length=10, choices=MemberChangeStatus.choices,
                              default=MemberChangeStatus.PROPOSED, db_index=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提出人", null=True,
                                    on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField("提出时间", auto_now_add=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="核实人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField("核实时间", null=True, blank=True)
    decision_note = models.CharField("核实意见", max_length=200, blank=True)
    applied_member = models.ForeignKey("registry.Member", verbose_name="登记结果成员", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "家庭成员变动"
        verbose_name_plural = "家庭成员变动"
        ordering = ["-proposed_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.get_status_display()}）"


class TicketDimension(models.TextChoices):
    FOOD = "food", "不愁吃"
    CLOTHING = "clothing", "不愁穿"
    EDUCATION = "education", "义务教育"
    MEDICAL = "medical", "基本医疗"
    HOUSING = "housing", "住房安全"
    WATER = "water", "饮水安全"


class TicketDifficulty(models.TextChoices):
    GENERAL = "general", "一般性问题"
    DIFFICULT = "difficult", "疑难问题"
    SPECIAL = "special", "特殊问题"


class TicketSource(models.TextChoices):
    VISIT = "visit", "走访发现"
    SWEEP = "sweep", "排查发现"
    LEAD = "lead", "线索核实"
    IMPORT = "import", "数据导入"
    MANUAL = "manual", "人工登记"


class TicketStatus(models.TextChoices):
    OPEN = "open", "未销号"
    CLOSED = "closed", "已销号"


def ticket_evidence_path(instance, filename: str) -> str:
    return f"followup/tickets/{instance.division_code[:6]}/{instance.pk or 'new'}/{Path(filename).name}"


class Ticket(models.Model):
    """A 两不愁三保障 or water problem to clear within its deadline (R-TRACK-05, 003 第五步)."""

    household = models.ForeignKey("registry.Household", verbose_name="农户", on_delete=models.PROTECT,
                                  related_name="tickets")
    division_code = models.CharField("所在区划代码", max_length=17)
    dimension = models.CharField("问题类别", max_length=10, choices=TicketDimension.choices)
    description = models.CharField("问题描述", max_length=500)
    source = models.CharField("来源", max_length=8, choices=TicketSource.choices)
    source_ref = models.CharField("来源编号", max_length=60, blank=True)
    visit = models.ForeignKey(Visit, verbose_name="发现于走访", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="tickets")
    difficulty = models.CharField("难易程度", max_length=10, choices=TicketDifficulty.choices,
                                  default=TicketDifficulty.GENERAL)
    opened_on = models.DateField("发现日期")
    due_on = models.DateField("销号期限")
    responsible_code = models.CharField("责任单位区划", max_length=17)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="责任人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    responsible_name = models.CharField("责任人姓名", max_length=40, blank=True)
    status = models.CharField("状态", max_length=8, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    evidence = models.TextField("销号佐证", max_length=1000, blank=True)
    evidence_file = models.FileField("佐证材料", upload_to=ticket_evidence_path, blank=True)
    evidence_file_name = models.CharField("佐证文件名", max_length=200, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="销号人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    version = models.PositiveIntegerField("版本", default=1)

    class Meta:
        verbose_name = "问题清零台账"
        verbose_name_plural = "问题清零台账"
        ordering = ["due_on", "id"]
        constraints = [
            # One open ticket per household and problem: a second finding adds to it, not beside it.
            models.UniqueConstraint(fields=["household", "dimension"], condition=models.Q(status="open"),
                                    name="ticket_one_open_per_dimension"),
        ]
        indexes = [
            models.Index(fields=["division_code", "status", "due_on"], name="ticket_scope_open"),
            models.Index(fields=["responsible", "status", "due_on"], name="ticket_person_open"),
        ]

    def __str__(self):
        return f"{self.get_dimension_display()}问题（{self.get_status_display()}）"


class MeetingKind(models.TextChoices):
    VILLAGE_ANALYSIS = "village_analysis", "村级半月分析研判"
    TOWNSHIP_DISPATCH = "township_dispatch", "乡镇月度调度"


class Meeting(models.Model):
    """A village's half-monthly analysis or a township's monthly dispatch of unresolved cases, with its
    conclusions (R-TRACK-03, 003 第四步)."""

    kind = models.CharField("会议类型", max_length=20, choices=MeetingKind.choices)
    division = models.ForeignKey("areas.Division", verbose_name="村/乡镇", on_delete=models.PROTECT,
                                 related_name="+")
    division_code = models.CharField("区划代码", max_length=17, db_index=True)
    held_on = models.DateField("召开日期")
    period_start = models.DateField("研判期间起")
    period_end = models.DateField("研判期间止")
    attendees = models.CharField("参会人员", max_length=500)
    conclusions = models.TextField("会议结论", max_length=4000)
    # {household_id: "该户的研判意见"}
    household_notes = models.JSONField("逐户研判意见", default=dict, blank=True)
    households = models.PositiveIntegerField("研判户数", default=0)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", null=True,
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "分析研判/调度会议"
        verbose_name_plural = "分析研判/调度会议"
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["kind", "division_code", "held_on"], name="meeting_kind_scope")]

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d}{self.get_kind_display()}"
