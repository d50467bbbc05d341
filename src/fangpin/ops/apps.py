from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "fangpin.ops"
    verbose_name = "运行维护"

    def ready(self):
        from fangpin.audit.services import ACTION_LABELS

        from .backup import RESTORE_ACTION

        ACTION_LABELS[RESTORE_ACTION] = "从备份恢复数据"
