from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fangpin.audit"
    verbose_name = "操作留痕"
