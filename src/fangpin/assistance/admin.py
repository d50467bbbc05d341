from django.contrib import admin

from .models import Measure


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ("household", "category", "content", "source", "updated_at")
    list_filter = ("category", "source")
    raw_id_fields = ("household",)
