"""Where a change comes from (web page, API, import file, command), for the audit trail."""

import contextlib
import contextvars

_source = contextvars.ContextVar("audit_source", default=("system", ""))


def current_source() -> tuple[str, str]:
    return _source.get()


@contextlib.contextmanager
def using_source(kind: str, ref: str = ""):
    token = _source.set((kind, ref))
    try:
        yield
    finally:
        _source.reset(token)
