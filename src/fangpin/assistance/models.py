"""Assistance measures (帮扶措施, R-AID-03).

A measure record holds one measure category of one household (产业帮扶, 就业帮扶 …) with the
original text as the national system exports it (one cell per category, multi-select values joined
by commas) and the split items. Records that came from a national-system import carry
``source = national``: a re-import updates them in place (one record per household and category).
"""

from django.db import models


class MeasureSource(models.TextChoices):
    NATIONAL = "national", "国家系统导入"
    LOCAL = "local", "本系统录入"


class Measure(models.Model):
    household = models.ForeignKey(
        "registry.Household", verbose_name="农户", on_delete=models.PROTECT, related_name="measures"
    )
    category = models.CharField("帮扶类别", max_length=30, db_index=True)
    content = models.CharField("措施内容（原文）", max_length=500)
    items = models.JSONField("措施项", default=list, blank=True)
    source = models.CharField("来源", max_length=10, choices=MeasureSource.choices, default=MeasureSource.LOCAL)
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

    def __str__(self):
        return f"{self.category}：{self.content}"
