from django.contrib import admin

from .models import CalendarDay, CalendarYear, PolicyProfile


@admin.register(PolicyProfile)
class PolicyProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "version", "county_code", "valid_from", "loaded_at")
    readonly_fields = ("loaded_at", "checksum")
    search_fields = ("name", "key", "county_code")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "note", "source")
    list_filter = ("is_workday", "source")
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "complete", "note")
