from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import transaction

from fangpin.accounts.models import User
from fangpin.backoffice import ReadOnlyAdmin

from .models import Event
from .services import record


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The audit trail is never edited, by anyone (R-SEC-02)."""

    list_display = ("at", "actor_name", "actor_role", "action", "object_type", "object_repr", "source")
    list_filter = ("action", "source")
    search_fields = ("object_repr", "actor_name", "source_ref")


# --- users ---------------------------------------------------------------------------------------
# Accounts are edited in the back office (there is no other door for them), so the back office records
# every change to them as an audit event, as the services do for everything else (R-SEC-02). It lives
# here because the audit app sits above accounts in the layer contracts.

USER_FIELDS = ("username", "display_name", "role", "department", "phone", "is_active", "is_staff", "is_superuser")


def user_snapshot(user: User) -> dict:
    """What an audit event keeps of an account: never its password (hash or otherwise)."""
    data = {f: getattr(user, f) for f in USER_FIELDS}
    data["division"] = user.division.code if user.division_id else ""
    data["groups"] = sorted(user.groups.values_list("name", flat=True)) if user.pk else []
    data["user_permissions"] = sorted(user.user_permissions.values_list("codename", flat=True)) if user.pk else []
    return data


def _division_code(user: User) -> str:
    return user.division.code if user.division_id else ""


@admin.register(User)
class FangpinUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "role", "division", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name")
    raw_id_fields = ("division",)
    fieldsets = (*UserAdmin.fieldsets, ("岗位", {"fields": ("display_name", "role", "division", "department", "phone")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("岗位", {"fields": ("display_name", "role", "division")}))

    def save_model(self, request, obj, form, change):
        request._fangpin_user_before = user_snapshot(User.objects.get(pk=obj.pk)) if change and obj.pk else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before, after = getattr(request, "_fangpin_user_before", None), user_snapshot(obj)
        if before is None:
            record(request.user, "user.create", obj, after=after, division_code=_division_code(obj))
        elif before != after:
            changed = [k for k in after if before.get(k) != after[k]]
            record(request.user, "user.change", obj, before={k: before.get(k) for k in changed},
                   after={k: after[k] for k in changed}, division_code=_division_code(obj))

    def delete_model(self, request, obj):
        record(request.user, "user.delete", obj, before=user_snapshot(obj), division_code=_division_code(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("division"):
            record(request.user, "user.delete", obj, before=user_snapshot(obj), division_code=_division_code(obj))
        super().delete_queryset(request, queryset)

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                obj = User.objects.get(pk=id)
                record(request.user, "user.password_change", obj, after={"password": "已重设"}, division_code=_division_code(obj))
        return response
