from django.contrib import admin

from fangpin.backoffice import ReadOnlyAdmin

from .models import Measure


@admin.register(Measure)
class MeasureAdmin(ReadOnlyAdmin):
    """View only: measures come from the national import or a service, both audited (R-SEC-02)."""

    list_display = ("household", "category", "content", "source", "updated_at")
    list_filter = ("category", "source")
    raw_id_fields = ("household",)
