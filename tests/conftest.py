"""Personas and a small county shared by every test.

Persona tests follow the healthchecks habit: a county officer, a township officer, a village cadre
of village A and one of village B, a grid worker, a supervisor and a department officer.
"""

import datetime as dt
import os
import shutil

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Fixtures for the schemathesis runs (officer_session, keep_test_connection).
pytest_plugins = ["tests.apischema"]


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    """Rate-limit counters and other cached values never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _profiles_and_calendar(db):
    from fangpin.profiles.services import load_profiles, profile_for_county, seed_calendar
    from fangpin.registry import vocab

    load_profiles()
    seed_calendar(2024, 2027)
    profile_for_county.cache_clear()
    vocab.invalidate()
    yield
    profile_for_county.cache_clear()
    vocab.invalidate()


@pytest.fixture
def county(db):
    from tests.factories import build_county

    return build_county()


@pytest.fixture
def households(county):
    from tests.factories import household

    return {
        "a1": household(county["grid_a1"], "3406211002010001", "蔡德胜", category="formerly_poor",
                        members=[("王秀英", "配偶", dt.date(1972, 8, 9), False), ("蔡小磊", "之子", dt.date(1998, 1, 20), True)]),
        "a2": household(county["grid_a2"], "3406211002010002", "蔡永华", category="marginal_at_risk", status="monitored"),
        "b1": household(county["grid_b1"], "3406211002020001", "任建国", category="formerly_poor",
                        members=[("李桂兰", "配偶", dt.date(1968, 2, 2), False)]),
        "c1": household(county["grid_c1"], "3406211022010001", "马超", category="ordinary"),
    }


@pytest.fixture
def personas(county):
    from fangpin.accounts.roles import Role
    from tests.factories import user

    return {
        "county_officer": user("county", Role.COUNTY_OFFICE, county["county"], display_name="周局长"),
        "township_officer": user("township", Role.TOWNSHIP_STAFF, county["t1"], display_name="孙站长"),
        "cadre_a": user("cadre_a", Role.VILLAGE_CADRE, county["va"], display_name="蔡书记"),
        "cadre_b": user("cadre_b", Role.VILLAGE_CADRE, county["vb"], display_name="任书记"),
        "grid_worker": user("grid_a1", Role.GRID_WORKER, county["grid_a1"], display_name="蔡网格员"),
        "supervisor": user("supervisor", Role.SUPERVISOR, county["county"], display_name="督导组"),
        "department": user("yibao", Role.DEPARTMENT_OFFICER, county["county"], display_name="医保局", department="医保局"),
        "contact": user("contact_a", Role.ASSISTANCE_CONTACT, county["va"], display_name="帮扶联系人"),
    }


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


# --- real-browser journeys (Playwright driving Debian's chromium, see design/testing.md) -----------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": shutil.which("chromium") or "/usr/bin/chromium"}


@pytest.fixture
def phone(browser):
    """A page in a phone-sized, touch, zh-CN browser context."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()

