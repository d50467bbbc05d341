from django.apps import AppConfig

ACTION_LABELS = {
    "visit.record": "录入走访",
    "sweep.open": "发起拉网式排查",
    "sweep.close": "结束拉网式排查",
    "screening.submit": "报送行业部门排查",
    "mustvisit.compute": "计算必访名单",
}


def _pending(user):
    from fangpin.profiles.services import today

    from .selectors import pending_for

    return pending_for(user, today())


class FollowupConfig(AppConfig):
    name = "fangpin.followup"
    verbose_name = "走访与排查"

    def ready(self):
        from fangpin.accounts.pending import PENDING_PROVIDERS
        from fangpin.audit.services import ACTION_LABELS as LABELS
        from fangpin.registry.demo import DEMO_STEPS

        from . import analysis, colour, demo, members, monthly, schedule, signals, tickets  # noqa: F401

        for module in (schedule, monthly, members, tickets, analysis, colour):
            module.register()

        LABELS.update(ACTION_LABELS)
        if _pending not in PENDING_PROVIDERS:
            PENDING_PROVIDERS.append(_pending)
        if demo.build_followup_demo not in DEMO_STEPS:
            DEMO_STEPS.append(demo.build_followup_demo)
        from .demo_monthly import build_monthly_demo

        if build_monthly_demo not in DEMO_STEPS:
            DEMO_STEPS.append(build_monthly_demo)
