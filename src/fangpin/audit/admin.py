from django.contrib import admin

from fangpin.backoffice import ReadOnlyAdmin

from .models import Event


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The audit trail is never edited, by anyone (R-SEC-02)."""

    list_display = ("at", "actor_name", "actor_role", "action", "object_type", "object_repr", "source")
    list_filter = ("action", "source")
    search_fields = ("object_repr", "actor_name", "source_ref")
