from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "fangpin.registry"
    verbose_name = "农户信息库"

    def ready(self):
        from . import lookups, signals  # noqa: F401
