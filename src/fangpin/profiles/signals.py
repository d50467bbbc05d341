"""Any save or delete of profile or calendar rows raises the stamp of its kind, so that every process
drops its cached copy (R-CFG-04); each request and each background task compares the stamps again."""

from django.core.signals import request_started
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_tasks.signals import task_started

from . import stamps
from .models import CalendarDay, CalendarYear, PolicyProfile


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def _calendar_changed(**kwargs):
    stamps.changed(stamps.CALENDAR)


@receiver([post_save, post_delete], sender=PolicyProfile)
def _profile_changed(**kwargs):
    stamps.changed(stamps.PROFILES)


@receiver(request_started)
@receiver(task_started)
def _recheck_at_start(**kwargs):
    stamps.recheck_soon()
