"""Small helpers every page module uses: service errors onto forms, the audit source of a page
request, and the county profiles that apply to a user."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from fangpin.audit.context import using_source


def apply_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form: field errors on their fields, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            target = field if field in form.fields else None
            for msg in msgs:
                form.add_error(target, msg)
    else:
        for msg in exc.messages:
            form.add_error(None, msg)


def web_source(request):
    """Audit events written while handling a page request are marked as coming from that page."""
    return using_source("web", request.path)


def _county_of(user) -> str | None:
    """The user's county code when the user works in one county (or below it), else None."""
    code = user.scope_code or ""
    return code[:6] if len(code) >= 6 else None


def profile_for_user(user):
    """The policy profile of the user's county, or None for a user above county level (a city or province
    account, a system administrator): such a user takes the profile of the object at hand
    (``profile_for_county(obj.division_code)``) or, on pages about no single object, all of
    :func:`profiles_for_user` (R-SEC-01)."""
    from fangpin.policy.profiles import ProfileError
    from fangpin.profiles.services import profile_for_county

    county = _county_of(user)
    if county is None:
        return None
    try:
        return profile_for_county(county)
    except ProfileError:
        return None


def profiles_for_user(user) -> list:
    """The profiles of every county in the user's area, in county-code order (one for a county user)."""
    from fangpin.profiles.services import county_codes, profile_for_county

    scope = user.scope_code
    if scope is None:
        return []
    if _county_of(user) is not None:
        profile = profile_for_user(user)
        return [profile] if profile else []
    return [profile_for_county(code) for code in county_codes() if code.startswith(scope)]


def categories_for_user(user) -> list[tuple[str, str]]:
    """Household categories for a filter: those of the user's county, or the union over the counties of the
    user's area; a code named differently by different counties shows all its names."""
    names: dict[str, list[str]] = {}
    for profile in profiles_for_user(user):
        for category in profile.categories:
            known = names.setdefault(category["code"], [])
            if category["name"] not in known:
                known.append(category["name"])
    return [(code, "／".join(labels)) for code, labels in names.items()]


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def permission_denied(request, exception=None):
    """403 page in Chinese; a service's own Chinese reason is shown, anything else is not."""
    from django.shortcuts import render

    text = str(exception or "")
    return render(request, "403.html", {"message": text if _chinese(text) else ""}, status=403)
