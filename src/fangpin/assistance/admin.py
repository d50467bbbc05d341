from django.contrib import admin

from fangpin.backoffice import ReadOnlyAdmin

from .models import ContactAssignment, Measure, Plan, Policy, PolicyList


@admin.register(Measure)
class MeasureAdmin(ReadOnlyAdmin):
    """View only: measures come from the national import or a service, both audited (R-SEC-02)."""

    list_display = ("household", "category", "content", "kind", "status", "source", "updated_at")
    list_filter = ("category", "kind", "status", "source")
    raw_id_fields = ("household",)


@admin.register(PolicyList)
class PolicyListAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "county_code", "year", "kind", "department", "version", "status")
    list_filter = ("kind", "status", "year")


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = ("type", "name", "department", "kind", "handler", "policy_list")
    list_filter = ("type", "kind", "handler")


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = ("household", "status", "started_on", "due_on", "approved_on", "developmental_marked")
    list_filter = ("status", "developmental_marked")
    raw_id_fields = ("household",)


@admin.register(ContactAssignment)
class ContactAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("household", "contact", "assigned_on", "ended_on")
    raw_id_fields = ("household",)
