from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_name", "actor_role", "action", "object_type", "object_repr", "source")
    list_filter = ("action", "source")
    search_fields = ("object_repr", "actor_name", "source_ref")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
