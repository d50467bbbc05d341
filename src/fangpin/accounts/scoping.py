"""The one door for reads and the permission check for writes (R-SEC-01).

Every page, count, search, export and API endpoint gets its rows through these functions:
``scope_filter`` for lists and ``get_visible`` for one row by id. The apps that own the models
build their selectors on them (``registry.selectors.get_household_for``,
``cases.selectors.get_case_for`` …); none filters by division code on its own.
A row outside the user's division answers 404 (not 403), so its existence does not leak.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from fangpin.areas.locks import county_write_lock
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import Division

from .roles import Role


class OutOfScope(PermissionDenied):
    pass


def _scope(user) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    return user.scope_code


def scope_filter(qs, user, field: str = "division_code"):
    """Filter any queryset whose ``field`` holds a division code to the user's area."""
    code = _scope(user)
    if code is None:
        return qs.none()
    if code == "":
        return qs
    return qs.filter(prefix_q(field, code))


def divisions_visible_to(user):
    return scope_filter(Division.objects.all(), user, "code")


def get_visible(qs, user, pk, *, field: str = "division_code", not_found: str = "对象不存在或不在您的管辖范围内"):
    """One row of ``qs`` by id, looked up only among the rows in the user's area.

    A row outside the area, a missing row and a malformed id all answer 404 with the same
    message, so a page or API answer never tells whether (or where) a row exists. Each app's
    ``get_<thing>_for(user, pk)`` is built on this; nothing fetches by bare id and checks after.
    """
    try:
        return scope_filter(qs, user, field).get(pk=pk)
    except (ValueError, TypeError, ValidationError, qs.model.DoesNotExist):
        raise Http404(not_found)


def in_scope(user, code: str) -> bool:
    scope = _scope(user)
    return scope is not None and code.startswith(scope)


def require_write_in(user, code: str, capability: str = "write_registry") -> None:
    """Refuse a write by a role without the capability or outside the user's area; then hold the
    county's write lock (shared) for the rest of the transaction, so the write waits while an import
    applies in that county — and only that county (R-OPS-04, ``fangpin.areas.locks``)."""
    if user is not None:  # None: system jobs (commands) act with full authority and are audited as such
        if not user.is_authenticated:
            raise PermissionDenied("请先登录")
        if not getattr(user.caps, capability):
            raise PermissionDenied(f"{user.role_label}角色没有此项操作权限")
        if not in_scope(user, code):
            raise OutOfScope("该对象不在您的管辖范围内")
    county_write_lock(code)


# --- who may act: the checks every app's services make before a write --------------------------------


def roles_text(roles) -> str:
    """Role codes as the names users know, joined with 、 (for messages)."""
    labels = dict(Role.choices)
    return "、".join(labels.get(r, r) for r in roles)


def require_person(actor, why: str) -> None:
    """A logged-in person acts (each step of a procedure is someone's, and audited as theirs); ``why``
    completes the Chinese message, e.g. "识别程序的每一步都必须由具体人员办理并留痕"."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(f"请先登录：{why}")


def require_role(actor, roles, what: str, why: str) -> None:
    """``actor`` is a logged-in person with one of ``roles`` to do ``what`` (named in the message)."""
    require_person(actor, why)
    if actor.role not in roles:
        raise PermissionDenied(f"“{what}”只能由{roles_text(roles)}办理，您的角色是{actor.role_label}")


def require_area(actor, code: str, message: str) -> None:
    """The object (division code ``code``) lies in the actor's area — ``OutOfScope`` with ``message``
    otherwise — then hold the county's write lock (shared) for the rest of the transaction, so the write
    waits while an import applies in that county (R-OPS-04)."""
    if not in_scope(actor, code):
        raise OutOfScope(message)
    county_write_lock(code)
