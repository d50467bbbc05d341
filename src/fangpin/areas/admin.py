from django.contrib import admin

from fangpin.backoffice import ReadOnlyHistoryAdmin

from .models import Division, GridWorker, WorkingGroup


@admin.register(Division)
class DivisionAdmin(ReadOnlyHistoryAdmin):
    """View only: divisions are created by ``registry.divisions.create_division`` (audited, R-SEC-02)."""

    list_display = ("code", "name", "level", "parent", "profile_key", "active")
    list_filter = ("level", "active")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


@admin.register(GridWorker)
class GridWorkerAdmin(ReadOnlyHistoryAdmin):
    """View only: grid workers are written by ``fangpin.grid.services`` (scoped and audited)."""

    list_display = ("name", "position", "unit", "grid", "active")
    list_filter = ("position", "active")
    search_fields = ("name", "division_code")
    raw_id_fields = ("unit", "grid", "user")


@admin.register(WorkingGroup)
class WorkingGroupAdmin(ReadOnlyHistoryAdmin):
    """View only: working groups are written by ``fangpin.grid.services``."""

    list_display = ("name", "kind", "division", "leader")
    search_fields = ("name", "division_code")
    raw_id_fields = ("division",)
