from django.apps import AppConfig


def _pending_moves(user):
    """Open move requests wait on the county office of either side (R-SEC-04)."""
    if not user.caps.handle_moves:
        return []
    from django.urls import reverse

    from .models import MoveStatus
    from .moves import moves_visible_to

    count = moves_visible_to(user).filter(status=MoveStatus.OPEN).count()
    if not count:
        return []
    return [{"title": f"跨地区迁移申请待办理 {count} 件", "url": reverse("registry:move_list"), "due": None,
             "overdue": False}]


class RegistryConfig(AppConfig):
    name = "fangpin.registry"
    verbose_name = "农户信息库"

    def ready(self):
        from fangpin.accounts.pending import PENDING_PROVIDERS

        from . import signals  # noqa: F401

        if _pending_moves not in PENDING_PROVIDERS:
            PENDING_PROVIDERS.append(_pending_moves)
