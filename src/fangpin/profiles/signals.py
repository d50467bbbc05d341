from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import CalendarDay, CalendarYear, PolicyProfile
from .services import invalidate_calendar, profile_for_county


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def _calendar_changed(**kwargs):
    invalidate_calendar()


@receiver([post_save, post_delete], sender=PolicyProfile)
def _profile_changed(**kwargs):
    profile_for_county.cache_clear()
