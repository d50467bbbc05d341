from django.contrib.auth.models import AbstractUser
from django.db import models

from .roles import CAPABILITIES, Role


class User(AbstractUser):
    """A person using the system, bound to one division and one role."""

    display_name = models.CharField("姓名", max_length=40, blank=True)
    role = models.CharField("角色", max_length=30, choices=Role.choices, default=Role.VILLAGE_CADRE)
    division = models.ForeignKey(
        "areas.Division", verbose_name="所属区划", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    phone = models.CharField("联系电话", max_length=20, blank=True)
    department = models.CharField("所属部门", max_length=40, blank=True, help_text="行业部门账号填写，如 医保局")

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return self.display_name or self.username

    @property
    def caps(self):
        return CAPABILITIES[self.role]

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMINISTRATOR

    @property
    def scope_code(self) -> str | None:
        """The division-code prefix this user may see. ``""`` = everything; ``None`` = nothing."""
        if self.division_id:
            return self.division.code
        if self.is_administrator or self.is_superuser:
            return ""
        return None

    @property
    def role_label(self) -> str:
        return Role(self.role).label
