"""The one door for reads and the permission check for writes (R-SEC-01).

Every page, count, search, export and API endpoint gets its rows through these functions.
A row outside the user's division answers 404 (not 403), so its existence does not leak.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from fangpin.registry.lookups import prefix_q


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


def households_visible_to(user):
    from fangpin.registry.models import Household

    return scope_filter(Household.objects.all(), user)


def members_visible_to(user):
    from fangpin.registry.models import Member

    return scope_filter(Member.objects.filter(active=True), user, "household__division_code")


def divisions_visible_to(user):
    from fangpin.areas.models import Division

    return scope_filter(Division.objects.all(), user, "code")


def get_household_for(user, pk):
    try:
        return households_visible_to(user).get(pk=pk)
    except (ValueError, TypeError):
        raise Http404
    except Exception as exc:
        if exc.__class__.__name__ == "DoesNotExist":
            raise Http404("农户不存在或不在您的管辖范围内")
        raise


def get_member_for(user, pk):
    try:
        return members_visible_to(user).select_related("household").get(pk=pk)
    except (ValueError, TypeError):
        raise Http404
    except Exception as exc:
        if exc.__class__.__name__ == "DoesNotExist":
            raise Http404("成员不存在或不在您的管辖范围内")
        raise


def in_scope(user, code: str) -> bool:
    scope = _scope(user)
    return scope is not None and code.startswith(scope)


def require_write_in(user, code: str, capability: str = "write_registry") -> None:
    """Refuse a write by a role without the capability or outside the user's area."""
    if user is None:
        return  # system jobs (commands) act with full authority and are audited as such
    if not user.is_authenticated:
        raise PermissionDenied("请先登录")
    if not getattr(user.caps, capability):
        raise PermissionDenied(f"{user.role_label}角色没有此项操作权限")
    if not in_scope(user, code):
        raise OutOfScope("该对象不在您的管辖范围内")
