from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Division


@admin.register(Division)
class DivisionAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "level", "parent", "profile_key", "active")
    list_filter = ("level", "active")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
