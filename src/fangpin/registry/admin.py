from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from fangpin.backoffice import ReadOnlyAdmin, ReadOnlyHistoryAdmin

from . import vocab
from .models import Household, IncomeRecord, Member, MemberMove, Tag, Term


class TermForm(forms.ModelForm):
    class Meta:
        model = Term
        fields = ("vocabulary", "value", "position", "active")

    def clean_vocabulary(self):
        name = self.cleaned_data["vocabulary"].strip()
        if name not in vocab.definitions():
            raise forms.ValidationError(f"没有名为“{name}”的值列表（可用：{'、'.join(vocab.definitions())}）")
        return name


class _AuditedAdmin(admin.ModelAdmin):
    """Saves and deletes go through ``fangpin.registry.vocab``, which audits them (R-SEC-02)."""

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Term)
class TermAdmin(_AuditedAdmin):
    form = TermForm
    list_display = ("vocabulary", "value", "position", "active")
    list_filter = ("vocabulary", "active")
    list_editable = ("position", "active")

    def save_model(self, request, obj, form, change):
        row = vocab.save_term(request.user, obj.pk if change else None, vocabulary=obj.vocabulary, value=obj.value,
                              position=obj.position, active=obj.active)
        obj.pk = row.pk

    def delete_model(self, request, obj):
        vocab.delete_term(request.user, obj)


@admin.register(Tag)
class TagAdmin(_AuditedAdmin):
    list_display = ("code", "name", "position")

    def has_delete_permission(self, request, obj=None):
        # A tag households carry is renamed, not deleted.
        if obj is not None and obj.households.exists():
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        row = vocab.save_tag(request.user, obj.pk if change else None, code=obj.code, name=obj.name,
                             position=obj.position)
        obj.pk = row.pk

    def delete_model(self, request, obj):
        try:
            vocab.delete_tag(request.user, obj)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))


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
