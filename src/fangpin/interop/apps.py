from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "fangpin.interop"
    verbose_name = "国家系统数据导入导出"
