"""Back office for profiles and the working-day calendar.

Profiles are read-only here (they are files, loaded with ``load_profiles``). Calendar edits go through
``fangpin.profiles.services``: each one is audited, reaches every process and recomputes the stored
deadlines it touches (R-CFG-03, R-CFG-04, R-SEC-02).
"""

from django.contrib import admin, messages

from fangpin.backoffice import ReadOnlyAdmin

from . import services
from .models import CalendarDay, CalendarYear, ConfigStamp, PolicyProfile


@admin.register(PolicyProfile)
class PolicyProfileAdmin(ReadOnlyAdmin):
    """View only: a profile changes by editing its file and running ``load_profiles`` (a new version)."""

    list_display = ("name", "key", "version", "county_code", "valid_from", "loaded_at")
    search_fields = ("name", "key", "county_code")


def _report(request, recomputed: dict[str, int]) -> None:
    total = sum(recomputed.values())
    if total:
        messages.info(request, f"已按调整后的日历重新计算{total}项办理期限（均已留痕）")


class _ServiceAdmin(admin.ModelAdmin):
    """Saves and deletes call a service function; the form's own save is never used."""

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(CalendarDay)
class CalendarDayAdmin(_ServiceAdmin):
    list_display = ("date", "is_workday", "note", "source")
    list_filter = ("is_workday", "source")
    date_hierarchy = "date"
    fields = ("date", "is_workday", "note", "source")

    def get_readonly_fields(self, request, obj=None):
        # A day is corrected in place; a different day is a new entry.
        return ("date", "source") if obj is not None else ("source",)

    def save_model(self, request, obj, form, change):
        result = services.change_calendar(request.user, days={obj.date: (obj.is_workday, obj.note)})
        saved = CalendarDay.objects.get(date=obj.date)
        obj.pk, obj.source = saved.pk, saved.source
        _report(request, result)

    def delete_model(self, request, obj):
        _report(request, services.change_calendar(request.user, remove_days=[obj.date]))


@admin.register(CalendarYear)
class CalendarYearAdmin(_ServiceAdmin):
    list_display = ("year", "complete", "note")

    def get_readonly_fields(self, request, obj=None):
        return ("year",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        result = services.change_calendar(request.user, years={obj.year: (obj.complete, obj.note)})
        obj.pk = CalendarYear.objects.get(year=obj.year).pk
        _report(request, result)

    def delete_model(self, request, obj):
        _report(request, services.change_calendar(request.user, remove_years=[obj.year]))


@admin.register(ConfigStamp)
class ConfigStampAdmin(ReadOnlyAdmin):
    list_display = ("kind", "version")
