from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Household, IncomeRecord, Member, MemberMove, Tag, Term


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ("vocabulary", "value", "position", "active")
    list_filter = ("vocabulary", "active")
    list_editable = ("position", "active")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "position")


@admin.register(Household)
class HouseholdAdmin(SimpleHistoryAdmin):
    list_display = ("number", "village", "category", "monitoring_status", "division_code")
    list_filter = ("category", "monitoring_status")
    search_fields = ("number",)
    raw_id_fields = ("village", "group", "grid")
    readonly_fields = ("division_code",)


@admin.register(Member)
class MemberAdmin(SimpleHistoryAdmin):
    list_display = ("name", "id_number", "relation", "household", "active")
    search_fields = ("=id_number", "name")
    raw_id_fields = ("household",)


@admin.register(IncomeRecord)
class IncomeRecordAdmin(SimpleHistoryAdmin):
    list_display = ("household", "year", "period", "purpose", "per_capita_net_income")
    raw_id_fields = ("household",)


@admin.register(MemberMove)
class MemberMoveAdmin(admin.ModelAdmin):
    list_display = ("member", "from_household", "to_household", "reason", "moved_at", "actor")
    raw_id_fields = ("member", "from_household", "to_household")

    def has_change_permission(self, request, obj=None):
        return False
