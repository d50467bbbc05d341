"""Shared pieces for the schemathesis runs: the app's OpenAPI schema and a logged-in session."""

import pytest
import schemathesis
from django.contrib.sessions.backends.db import SessionStore
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings

from fangpin.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

CSRF = "a" * 32
# Operations that need a case in place are run by tests/cases/test_api_schema.py.
CASE_PATHS = "cases|notices|objections"


def run_settings(max_examples: int):
    return settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck),
                    phases=[Phase.explicit, Phase.generate])


def session_cookies_for(user) -> dict:
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    return {"sessionid": store.session_key, "csrftoken": CSRF}


def call_as(case, cookies):
    case.cookies = {**(case.cookies or {}), **cookies}
    response = case.call(headers={"X-CSRFToken": CSRF})
    assert response.status_code != 401, "the session must be used: generated requests are checked as a logged-in officer"
    assert response.status_code < 500, f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
    return response


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI handler directly would close the test's database connection after each
    request (Django's test client disconnects these signals for the same reason)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def officer_session(personas, households, keep_test_connection):
    return session_cookies_for(personas["township_officer"])
