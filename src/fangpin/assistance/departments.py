"""Assistance: departments."""


def register() -> None:
    """Hooks of this part (pending actions, deadline recomputers, audit labels, demo steps)."""
