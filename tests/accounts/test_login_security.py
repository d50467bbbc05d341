"""Failed logins are throttled per account and per client, passwords are validated, pages carry a
content security policy (R-SEC-06)."""

import datetime as dt
import importlib.util
import re
from pathlib import Path

import pytest
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from fangpin import settings as project_settings
from fangpin.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from fangpin.accounts.models import User

PASSWORD = "demo-pass-2026"  # the personas' password (tests/factories.py)
LOCKED = "登录失败次数过多，账户已暂时锁定，请15分钟后再试或联系管理员"
TEMPLATES = Path(project_settings.BASE_DIR) / "templates"


def post_login(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, username, times, **extra):
    for _ in range(times):
        post_login(client, username, "not-the-password", **extra)


# --- throttling -------------------------------------------------------------------------------------

def test_twenty_failures_lock_the_account_even_for_the_right_password_R_SEC_06(client, personas):
    body = post_login(client, "cadre_a", "wrong").content.decode()
    assert "用户名或密码错误" in body and "锁定" not in body  # an ordinary failure says only that
    fail(client, "cadre_a", 19)
    r = post_login(client, "cadre_a", PASSWORD)
    body = r.content.decode()
    assert r.status_code == 429
    assert LOCKED in body
    assert not logged_in(client)
    assert "Account locked" not in body and "too many" not in body.lower()  # not axes' English page
    assert 'value="cadre_a"' in body  # the login page again, user name kept
    assert 'name="password"' in body and 'value="demo-pass-2026"' not in body


def test_the_lock_starts_at_the_configured_limit_R_SEC_06(client, personas, settings):
    assert settings.AXES_FAILURE_LIMIT == 10  # default of FANGPIN_LOGIN_FAILURE_LIMIT
    fail(client, "cadre_a", 9)
    assert post_login(client, "cadre_a", PASSWORD).status_code == 302  # 9 failures: still allowed
    client.logout()
    fail(client, "cadre_a", 1)  # a success does not wipe the count: this is the tenth failure
    r = post_login(client, "cadre_a", PASSWORD)
    assert r.status_code == 429 and LOCKED in r.content.decode()


def test_locks_are_per_account_and_per_client_R_SEC_06(personas):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    fail(attacker, "cadre_a", 20)
    # The account is locked wherever its owner logs in from ...
    owner = Client(REMOTE_ADDR="10.20.0.5")
    r = post_login(owner, "cadre_a", PASSWORD)
    assert r.status_code == 429 and LOCKED in r.content.decode() and not logged_in(owner)
    # ... the attacking client is locked for every account ...
    r = post_login(attacker, "cadre_b", PASSWORD)
    assert r.status_code == 429 and not logged_in(attacker)
    # ... and another user on another client is not affected.
    colleague = Client(REMOTE_ADDR="10.20.0.6")
    assert post_login(colleague, "cadre_b", PASSWORD).status_code == 302 and logged_in(colleague)


def test_many_accounts_tried_from_one_client_lock_that_client_R_SEC_06(personas):
    sprayer = Client(REMOTE_ADDR="198.51.100.7")
    for username in ("county", "township", "cadre_a", "cadre_b", "grid_a1", "supervisor", "yibao", "contact_a",
                     "nobody1", "nobody2"):
        post_login(sprayer, username, "Passw0rd!")
    r = post_login(sprayer, "township", PASSWORD)
    assert r.status_code == 429 and LOCKED in r.content.decode()
    # One failure each is far from any account's limit: the accounts themselves stay usable.
    assert post_login(Client(REMOTE_ADDR="10.20.0.8"), "township", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off_time_R_SEC_06(client, personas):
    from axes.models import AccessAttempt

    fail(client, "cadre_a", 20)
    assert post_login(client, "cadre_a", PASSWORD).status_code == 429
    # Attempts while locked do not extend the lock; once the last counted failure is 15 minutes old it ends.
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14))
    assert post_login(client, "cadre_a", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert post_login(client, "cadre_a", PASSWORD).status_code == 302 and logged_in(client)


def test_an_administrator_unlocks_an_account_or_a_client_R_SEC_06(personas):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    fail(attacker, "cadre_a", 20)
    owner = Client(REMOTE_ADDR="10.20.0.5")
    assert post_login(owner, "cadre_a", PASSWORD).status_code == 429
    call_command("axes_reset_username", "cadre_a")
    assert post_login(owner, "cadre_a", PASSWORD).status_code == 302 and logged_in(owner)

    office = Client(REMOTE_ADDR="10.20.0.1")  # one address in front of a whole office
    for i in range(10):
        post_login(office, f"typo{i}", PASSWORD)
    assert post_login(office, "cadre_b", PASSWORD).status_code == 429
    call_command("axes_reset_ip", "10.20.0.1")
    assert post_login(office, "cadre_b", PASSWORD).status_code == 302 and logged_in(office)


def test_the_admin_login_is_throttled_too_and_answers_in_chinese_R_SEC_06(client, county):
    from fangpin.accounts.roles import Role
    from tests.factories import user

    user("admin", Role.ADMINISTRATOR, county["county"], is_staff=True, is_superuser=True)
    for _ in range(20):
        client.post("/admin/login/", {"username": "admin", "password": "wrong"})
    r = client.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert r.status_code == 429 and LOCKED in r.content.decode() and not logged_in(client)


def test_logged_in_users_and_the_api_are_not_affected_by_a_lock_R_SEC_06(client, personas, households):
    fail(client, "cadre_a", 20)  # account cadre_a and this client (127.0.0.1) are now locked
    assert post_login(client, "cadre_a", PASSWORD).status_code == 429
    # Sessions are not logins: a user already logged in from the same address keeps working ...
    officer = Client()
    officer.force_login(personas["county_officer"])
    assert officer.get("/households/").status_code == 200
    r = officer.get("/api/households")
    assert r.status_code == 200 and r.json()["total"] == 4
    # ... and so does the locked account's own earlier session.
    earlier = Client()
    earlier.force_login(personas["cadre_a"])
    assert earlier.get("/api/households").json()["total"] == 2


def test_throttling_is_configured_from_the_environment_R_SEC_06(monkeypatch):
    monkeypatch.setenv("FANGPIN_LOGIN_FAILURE_LIMIT", "6")
    monkeypatch.setenv("FANGPIN_LOGIN_COOLOFF_MINUTES", "30")
    monkeypatch.setenv("FANGPIN_LOGIN_LOCKOUT", "username, ip_address+user_agent")
    monkeypatch.setenv("FANGPIN_BEHIND_PROXY", "1")
    spec = importlib.util.spec_from_file_location("settings_from_env", project_settings.__file__)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    assert loaded.AXES_FAILURE_LIMIT == 6
    assert loaded.AXES_COOLOFF_TIME == dt.timedelta(minutes=30)
    assert loaded.AXES_LOCKOUT_PARAMETERS == [["username"], ["ip_address", "user_agent"]]
    assert loaded.AXES_IPWARE_META_PRECEDENCE_ORDER[0] == "HTTP_X_FORWARDED_FOR"
    assert loaded.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    # The defaults, as the running site has them.
    assert project_settings.AXES_FAILURE_LIMIT == 10
    assert project_settings.AXES_LOCKOUT_PARAMETERS == [["username"], ["ip_address"]]
    assert not hasattr(project_settings, "AXES_IPWARE_META_PRECEDENCE_ORDER")


def test_behind_a_proxy_the_client_is_the_address_the_proxy_saw_R_SEC_06(personas, settings):
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_ORDER = "right-most"
    proxy = "10.0.0.1"
    attacker = Client(REMOTE_ADDR=proxy)
    for i in range(20):  # a forged first entry does not give each attempt a fresh address
        post_login(attacker, f"user{i}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.9")
    r = post_login(attacker, "cadre_b", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert r.status_code == 429
    # Everyone else comes through the same proxy and is not locked with the attacker.
    r = post_login(Client(REMOTE_ADDR=proxy), "cadre_b", PASSWORD, HTTP_X_FORWARDED_FOR="10.20.0.5")
    assert r.status_code == 302


# --- passwords --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("password", "message"), [
    ("abc-12", "密码太短，至少需要 8 个字符。"),
    ("12345678", "密码只包含数字。"),
    ("password", "这个密码太常见了。"),
    ("cadre_a2026", "太相似"),
])
def test_weak_passwords_are_refused_in_chinese_R_SEC_06(personas, password, message):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, personas["cadre_a"])
    assert any(message in m for m in refused.value.messages)
    assert not any(re.search("[A-Za-z]{4,}", m) for m in refused.value.messages)  # no English library text


def test_the_admin_password_form_refuses_a_weak_password_and_keeps_the_old_one_R_SEC_06(personas):
    user = personas["cadre_a"]
    form = AdminPasswordChangeForm(user, {"password1": "12345678", "password2": "12345678"})
    assert not form.is_valid()
    assert "密码只包含数字。" in " ".join(form.errors["password2"])
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    form = AdminPasswordChangeForm(user, {"password1": "Qiao-蔡桥-7319", "password2": "Qiao-蔡桥-7319"})
    assert form.is_valid(), form.errors


def test_the_four_standard_validators_are_configured_R_SEC_06(settings):
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == ["UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordValidator",
                     "NumericPasswordValidator"]
    assert settings.AUTH_PASSWORD_VALIDATORS[1]["OPTIONS"]["min_length"] >= 8


@pytest.mark.django_db
def test_the_demo_password_passes_the_validators_for_every_demo_account_R_SEC_06():
    for account in DEMO_ACCOUNTS:
        validate_password(DEMO_PASSWORD, User(username=account.username, display_name=account.display_name))


# --- security headers --------------------------------------------------------------------------------

def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_carry_a_content_security_policy_with_a_nonce_R_SEC_06(login, personas, households):
    client = login(personas["county_officer"])
    r = client.get("/households/")
    csp = csp_directives(r)
    nonce = re.search(r'nonce="([^"]+)"', r.content.decode()).group(1)
    assert csp["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert csp["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
    header = r["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header and "*" not in header
    assert nonce not in csp_directives(client.get("/households/"))["script-src"][1]  # a new nonce per response


def test_security_headers_on_login_print_and_api_responses_R_SEC_06(client, login, personas):
    r = client.get("/accounts/login/")
    assert "'nonce-" in r["Content-Security-Policy"]
    assert r["Referrer-Policy"] == "same-origin"
    assert r["Cross-Origin-Opener-Policy"] == "same-origin"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["X-Frame-Options"] == "DENY"
    api = login(personas["county_officer"]).get("/api/households")
    assert "default-src 'self'" in api["Content-Security-Policy"] and api["X-Content-Type-Options"] == "nosniff"


def test_the_lockout_page_carries_the_policy_too_R_SEC_06(client, personas):
    fail(client, "cadre_a", 20)
    r = post_login(client, "cadre_a", PASSWORD)
    assert r.status_code == 429 and "frame-ancestors 'none'" in r["Content-Security-Policy"]


# Inline code the policy would block: a <script> without src, event handler attributes, style
# attributes, <style> elements, javascript: URLs, and htmx attributes that need eval.
BLOCKED = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\shx-on[:-]|hx-vals\s*=\s*['\"]\s*js:|hx-vars\s*=|hx-trigger\s*=\s*['\"][^'\"]*\[", re.I),
     "htmx attribute that needs eval"),
]


def test_templates_have_nothing_the_policy_would_block_R_SEC_06():
    files = sorted(TEMPLATES.rglob("*.html"))
    assert len(files) > 20
    found = []
    for path in files:
        text = re.sub(r"{#.*?#}", "", path.read_text(encoding="utf-8"), flags=re.S)  # template comments
        for pattern, what in BLOCKED:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert not found, "\n".join(found)
