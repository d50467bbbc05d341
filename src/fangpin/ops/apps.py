from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "fangpin.ops"
    verbose_name = "运行维护"
