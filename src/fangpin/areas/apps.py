from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "fangpin.areas"
    verbose_name = "行政区划与网格"

    def ready(self):
        # The ``__prefix`` lookup on CharField (every scoped query uses it) is registered when its
        # module is imported; importing it here makes it present as soon as Django has started.
        from . import lookups  # noqa: F401
