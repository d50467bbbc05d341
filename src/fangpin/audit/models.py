"""Domain events (R-SEC-02, R-SUP-07): who changed what, when, before and after. Append-only."""

from django.conf import settings
from django.db import models


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("操作留痕不可修改")

    def delete(self):
        raise PermissionError("操作留痕不可删除")


class Event(models.Model):
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField("操作人姓名", max_length=60)
    actor_role = models.CharField("操作人角色", max_length=30, blank=True)
    action = models.CharField("操作", max_length=60, db_index=True)
    object_type = models.CharField("对象类型", max_length=40)
    object_id = models.CharField("对象编号", max_length=40)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    household = models.ForeignKey(
        "registry.Household", verbose_name="农户", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    division_code = models.CharField("区划代码", max_length=17, blank=True, db_index=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    source = models.CharField("来源", max_length=20, default="web")
    source_ref = models.CharField("来源说明", max_length=300, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = "操作留痕"
        verbose_name_plural = "操作留痕"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["household", "-at"], name="event_household_at"),
            # The case page (and later every object page) reads an object's trail newest first.
            models.Index(fields=["object_type", "object_id", "-at"], name="event_object_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("操作留痕不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("操作留痕不可删除")

    def changes(self) -> list[tuple[str, object, object]]:
        before = self.before or {}
        after = self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
