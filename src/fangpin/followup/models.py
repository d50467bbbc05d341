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
    OTHER = "other", "其他"


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

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["household", "visited_on"], name="visit_household_on"),
            models.Index(fields=["sweep", "household"], name="visit_sweep_household"),
            models.Index(fields=["visited_on", "risk_found"], name="visit_on_risk"),
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
