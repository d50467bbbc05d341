"""Pending actions shown on the home page: apps that have work waiting for a user register here.

Apps register a provider in their ``AppConfig.ready`` (``PENDING_PROVIDERS.append(fn)``), so the
home page lists cases, moves … without importing those apps (the accounts layer sits below them).
"""

PENDING_PROVIDERS = []  # callables (user) -> list of {"title", "url", "due", "overdue"}


def pending_actions(user) -> list[dict]:
    items = []
    for provider in PENDING_PROVIDERS:
        items.extend(provider(user))
    return sorted(items, key=lambda i: (not i.get("overdue"), str(i.get("due") or "")))
