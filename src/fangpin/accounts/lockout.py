"""The answer to a login refused because the account or the client is locked (R-SEC-06).

django-axes counts failed logins and refuses a locked account or client before the password is
checked; it then calls ``login_locked_out`` (``AXES_LOCKOUT_CALLABLE``) instead of showing its own
English page.
"""

from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from .forms import LoginForm, locked_message


def login_locked_out(request, original_response=None, credentials=None):
    """The login page again, with the user name kept, the Chinese reason and 429 Too Many Requests."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    form = LoginForm(request, initial={"username": str(username)[:150]})
    context = {"form": form, "locked_message": locked_message(), "next": next_url}
    return render(request, "accounts/login.html", context, status=429)
