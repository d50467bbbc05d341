"""Generated requests against the identification endpoints never produce a server error (schemathesis),
with a real case in place so that generated ids and payloads reach the service functions."""

import pytest
import schemathesis
from django.contrib.sessions.backends.db import SessionStore
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings

from fangpin.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

CSRF = "a" * 32


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
def session_cookies(personas, households, keep_test_connection):
    officer = personas["township_officer"]
    store = SessionStore()
    store["_auth_user_id"] = str(officer.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = officer.get_session_auth_hash()
    store.create()
    return {"sessionid": store.session_key, "csrftoken": CSRF}


@schema.include(path_regex="cases|notices|objections").parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
def test_no_generated_request_causes_a_server_error(case, session_cookies, opened):
    case.cookies = {**(case.cookies or {}), **session_cookies}
    response = case.call(headers={"X-CSRFToken": CSRF})
    assert response.status_code != 401, "the session must be used: generated requests are checked as a logged-in officer"
    assert response.status_code < 500, f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
