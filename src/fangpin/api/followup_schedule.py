"""Follow-up schedule over HTTP: the same scoped getters and service functions as the pages."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["跟踪帮扶"])
