from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class FangpinUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "role", "division", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name")
    raw_id_fields = ("division",)
    fieldsets = (*UserAdmin.fieldsets, ("岗位", {"fields": ("display_name", "role", "division", "department", "phone")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("岗位", {"fields": ("display_name", "role", "division")}))
