"""Stored profile versions and the editable working-day calendar (R-CFG-01, R-CFG-03)."""

from django.db import models

from fangpin.policy.profiles import Profile


class PolicyProfile(models.Model):
    key = models.CharField("画像标识", max_length=40)
    version = models.PositiveIntegerField("版本")
    name = models.CharField("县（区）名称", max_length=60)
    county_code = models.CharField("县级区划代码", max_length=6, db_index=True)
    valid_from = models.DateField("生效日期")
    data = models.JSONField("参数")
    checksum = models.CharField("内容校验值", max_length=64)
    source_file = models.CharField("来源文件", max_length=200, blank=True)
    loaded_at = models.DateTimeField("载入时间", auto_now_add=True)

    class Meta:
        verbose_name = "县级政策画像"
        verbose_name_plural = "县级政策画像"
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="profile_key_version")]
        ordering = ["county_code", "-version"]

    def __str__(self):
        return f"{self.name}（{self.key} v{self.version}）"

    def as_profile(self) -> Profile:
        return Profile(self.data, self.checksum)


class CalendarDay(models.Model):
    """An exception to the weekday rule: a holiday on a weekday or a make-up working day on a weekend."""

    SOURCE_OFFICIAL = "official"
    SOURCE_ADMIN = "admin"
    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    note = models.CharField("说明", max_length=60, blank=True)
    source = models.CharField(
        "来源", max_length=10, choices=[(SOURCE_OFFICIAL, "官方日历"), (SOURCE_ADMIN, "管理员录入")], default=SOURCE_ADMIN
    )

    class Meta:
        verbose_name = "日历调整日"
        verbose_name_plural = "日历调整日"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'上班' if self.is_workday else '休息'} {self.note}"


class CalendarYear(models.Model):
    """A year whose official holiday arrangement has been entered in full."""

    year = models.PositiveIntegerField("年份", unique=True)
    complete = models.BooleanField("官方安排已完整录入", default=True)
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        verbose_name = "已录入日历年份"
        verbose_name_plural = "已录入日历年份"
        ordering = ["year"]

    def __str__(self):
        return f"{self.year}"


class ConfigStamp(models.Model):
    """A counter per kind of cached configuration (profiles, calendar, value lists), raised in the same
    transaction as every change, so that every process can tell its caches are stale (R-CFG-04)."""

    kind = models.CharField("配置类别", max_length=20, primary_key=True)
    version = models.PositiveBigIntegerField("版本", default=0)

    class Meta:
        verbose_name = "配置变更戳"
        verbose_name_plural = "配置变更戳"

    def __str__(self):
        return f"{self.kind} v{self.version}"
