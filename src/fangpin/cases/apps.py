from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "fangpin.cases"
    verbose_name = "识别程序"
