from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "fangpin.areas"
    verbose_name = "行政区划与网格"
