"""Assistance over HTTP: departments. Thin: the same scoped getters and service functions as the pages."""

from ninja import Router

router = Router(tags=["帮扶"])
