from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "fangpin.interop"
    verbose_name = "国家系统数据导入导出"

    def ready(self):
        # Imports and exports are kinds of background job: the sweeper names them and, when their
        # worker died, marks the import failed ("已视为中断") or the export 已中断.
        from .kinds import register_kinds

        register_kinds()
