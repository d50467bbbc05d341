from django.contrib import admin

from fangpin.backoffice import ReadOnlyAdmin, ReadOnlyHistoryAdmin

from .models import Household, IncomeRecord, Member, MemberMove, Tag, Term


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ("vocabulary", "value", "position", "active")
    list_filter = ("vocabulary", "active")
    list_editable = ("position", "active")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "position")


# Households, members, incomes and moves change only through ``fangpin.registry.services`` (scope
# checked, audited); the back office shows them (R-SEC-02, R-SUP-07).


@admin.register(Household)
class HouseholdAdmin(ReadOnlyHistoryAdmin):
    list_display = ("number", "village", "category", "monitoring_status", "division_code")
    list_filter = ("category", "monitoring_status")
    search_fields = ("number",)
    raw_id_fields = ("village", "group", "grid")


@admin.register(Member)
class MemberAdmin(ReadOnlyHistoryAdmin):
    list_display = ("name", "id_number", "relation", "household", "active")
    search_fields = ("=id_number", "name")
    raw_id_fields = ("household",)


@admin.register(IncomeRecord)
class IncomeRecordAdmin(ReadOnlyHistoryAdmin):
    list_display = ("household", "year", "period", "purpose", "per_capita_net_income")
    raw_id_fields = ("household",)


@admin.register(MemberMove)
class MemberMoveAdmin(ReadOnlyAdmin):
    list_display = ("member", "from_household", "to_household", "reason", "moved_at", "actor")
    raw_id_fields = ("member", "from_household", "to_household")
