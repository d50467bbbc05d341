from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "fangpin.assistance"
    verbose_name = "帮扶"

    def ready(self):
        # Each part registers its own pending actions, deadline recomputers, audit labels and demo steps.
        from . import catalogue, demo, departments, plans

        catalogue.register()
        plans.register()
        departments.register()
        demo.register()
