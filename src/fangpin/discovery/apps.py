from django.apps import AppConfig


def _pending_leads(user):
    from fangpin.profiles.services import today

    from .selectors import pending_for

    return pending_for(user, today())


class DiscoveryConfig(AppConfig):
    name = "fangpin.discovery"
    verbose_name = "线索发现与核实"

    def ready(self):
        from fangpin.accounts.pending import PENDING_PROVIDERS
        from fangpin.audit.services import ACTION_LABELS
        from fangpin.cases.selectors import PUBLIC_STATUS_LOOKUPS
        from fangpin.profiles import deadlines

        from .selectors import public_status
        from .services import ACTION_NAMES, recompute_deadlines

        if _pending_leads not in PENDING_PROVIDERS:
            PENDING_PROVIDERS.append(_pending_leads)
        ACTION_LABELS.update(ACTION_NAMES)
        # Reports of leads are followed on the public status page with their reference and check code.
        if public_status not in PUBLIC_STATUS_LOOKUPS:
            PUBLIC_STATUS_LOOKUPS.append(public_status)
        # The demo county ships leads from every channel in every state (make demo).
        from fangpin.registry.demo import DEMO_STEPS

        from .demo import build_demo_leads

        if build_demo_leads not in DEMO_STEPS:
            DEMO_STEPS.append(build_demo_leads)
        # Stored lead deadlines follow calendar corrections (R-CFG-04, R-DISC-03).
        deadlines.register("leads", recompute_deadlines)
