from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "fangpin.profiles"
    verbose_name = "县级政策画像与工作日历"

    def ready(self):
        from . import signals  # noqa: F401
