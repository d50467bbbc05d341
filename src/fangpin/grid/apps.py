from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "fangpin.grid"
    label = "grid"
    verbose_name = "网格化管理"

    def ready(self):
        # The audit labels of the grid's actions are added when the services module loads.
        from fangpin.accounts.pending import PENDING_PROVIDERS
        from fangpin.registry.demo import DEMO_STEPS

        from . import services  # noqa: F401
        from .demo import build_grid_demo
        from .pending import pending_grid_work

        if build_grid_demo not in DEMO_STEPS:
            DEMO_STEPS.append(build_grid_demo)
        if pending_grid_work not in PENDING_PROVIDERS:
            PENDING_PROVIDERS.append(pending_grid_work)
