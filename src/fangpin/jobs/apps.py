from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "fangpin.jobs"
    verbose_name = "后台任务"
