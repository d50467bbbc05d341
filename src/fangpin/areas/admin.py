from django.contrib import admin

from fangpin.backoffice import ReadOnlyHistoryAdmin

from .models import Division


@admin.register(Division)
class DivisionAdmin(ReadOnlyHistoryAdmin):
    """View only: divisions are created by ``registry.divisions.create_division`` (audited, R-SEC-02)."""

    list_display = ("code", "name", "level", "parent", "profile_key", "active")
    list_filter = ("level", "active")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
