from django.apps import AppConfig


def _pending_cases(user):
    from fangpin.profiles.services import today

    from .selectors import pending_for

    return pending_for(user, today())


class CasesConfig(AppConfig):
    name = "fangpin.cases"
    verbose_name = "识别程序"

    def ready(self):
        from fangpin.accounts.pending import PENDING_PROVIDERS

        if _pending_cases not in PENDING_PROVIDERS:
            PENDING_PROVIDERS.append(_pending_cases)
        # Stored step deadlines follow calendar corrections (R-CFG-04).
        from fangpin.profiles import deadlines

        from .services import recompute_deadlines

        deadlines.register("cases", recompute_deadlines)
        # The demo county ships cases at every step of its identification procedure (make demo).
        from fangpin.registry.demo import DEMO_STEPS

        from .demo import build_demo_cases

        if build_demo_cases not in DEMO_STEPS:
            DEMO_STEPS.append(build_demo_cases)
