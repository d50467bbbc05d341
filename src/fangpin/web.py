"""Small helpers every page module uses: service errors onto forms, the audit source of a page
request, and the county profile that applies to a user."""

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


def profile_for_user(user):
    """The policy profile of the user's county; for a user above county level, the first loaded."""
    from fangpin.profiles.models import PolicyProfile
    from fangpin.profiles.services import profile_for_county

    code = user.scope_code or ""
    if len(code) < 6:
        row = PolicyProfile.objects.order_by("county_code", "-version").first()
        if row is None:
            return None
        code = row.county_code
    return profile_for_county(code)
