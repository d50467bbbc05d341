"""Cached profiles, calendar and value lists follow changes made by any process (R-CFG-04).

A second process (another web worker, the task worker) is simulated by changing the data through a
path that runs none of this process's signals: a queryset ``update`` or raw SQL, with the change
stamp bumped by a queryset ``update`` as the other process's service would do.
"""

import datetime as dt

import pytest
from django.core.signals import request_started
from django.db import close_old_connections, connection
from django.db.models import F
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_tasks import task

from fangpin.profiles.models import ConfigStamp, PolicyProfile
from fangpin.profiles.services import profile_for_county, working_calendar
from fangpin.registry import vocab

D = dt.date


def _stamp(kind: str) -> int:
    row = ConfigStamp.objects.filter(kind=kind).first()
    return row.version if row else 0


def _bump_elsewhere(kind: str) -> None:
    ConfigStamp.objects.filter(kind=kind).update(version=F("version") + 1)


def _next_request() -> None:
    """What a web worker does when the next request arrives (keeping the test's connection open, as
    Django's test client does)."""
    request_started.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
    finally:
        request_started.connect(close_old_connections)


def _insert_day_elsewhere(day: dt.date, is_workday: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO profiles_calendarday (date, is_workday, note, source) VALUES (%s, %s, %s, %s)",
            [day, is_workday, "元旦", "admin"],
        )


def test_a_calendar_day_entered_by_another_process_is_used_at_the_next_request_R_CFG_04():
    _next_request()
    assert working_calendar().is_workday(D(2027, 1, 1))  # cached: no 2027 entries yet
    _insert_day_elsewhere(D(2027, 1, 1), False)
    _next_request()
    # Without a stamp change the cache is still used (the data changed behind its back) ...
    assert working_calendar().is_workday(D(2027, 1, 1))
    _bump_elsewhere("calendar")
    _next_request()
    # ... with the other process's stamp the next request reloads the calendar.
    assert not working_calendar().is_workday(D(2027, 1, 1))
    assert working_calendar().add_working_days(D(2026, 12, 28), 5).due == D(2027, 1, 5)


@task()
def village_days(code: str) -> int:
    return profile_for_county(code).param("notices.village_days")


IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_a_profile_loaded_by_another_process_is_used_by_the_next_task_R_CFG_04():
    _next_request()
    assert profile_for_county("340621100201").param("notices.village_days") == 7
    row = PolicyProfile.objects.filter(key="suixi").order_by("-version").first()
    data = dict(row.data, notices=dict(row.data["notices"], village_days=9))
    PolicyProfile.objects.filter(pk=row.pk).update(data=data)
    _bump_elsewhere("profiles")
    with override_settings(TASKS=IMMEDIATE):
        result = village_days.enqueue("340621100201")  # the worker picks up its next task
    assert result.return_value == 9


def test_a_value_list_edited_by_another_process_is_used_at_the_next_request_R_CFG_04():
    from fangpin.registry.models import Term

    _next_request()
    assert "之子" in vocab.values("relation")
    Term.objects.filter(vocabulary="relation", value="之子").update(active=False)
    _bump_elsewhere("vocab")
    _next_request()
    assert "之子" not in vocab.values("relation")


def test_without_requests_the_stamp_is_rechecked_after_a_few_seconds_R_CFG_04(settings):
    """Long-running code outside a request (a command, a long task) rechecks at most every few seconds."""
    settings.FANGPIN_CACHE_RECHECK_SECONDS = 0
    assert working_calendar().is_workday(D(2027, 1, 1))
    _insert_day_elsewhere(D(2027, 1, 1), False)
    _bump_elsewhere("calendar")
    assert not working_calendar().is_workday(D(2027, 1, 1))


def test_every_edit_path_bumps_the_stamp_R_CFG_04(tmp_path):
    """The process that makes a change tells the others: profile load, calendar edit, value-list edit."""
    from django.conf import settings as dj_settings

    from fangpin.accounts.roles import Role
    from fangpin.profiles.services import load_profiles, mark_calendar_year, set_calendar_day
    from fangpin.registry.models import Term
    from tests.factories import user

    admin = user("sysadmin", Role.ADMINISTRATOR, None, is_staff=True, is_superuser=True)
    before = {k: _stamp(k) for k in ("profiles", "calendar", "vocab")}
    defaults = (dj_settings.PROFILES_DIR / "_defaults.toml").read_text(encoding="utf-8")
    (tmp_path / "_defaults.toml").write_text(defaults, encoding="utf-8")
    (tmp_path / "t.toml").write_text('key = "t"\nname = "测试县"\ncounty_code = "340699"\n', encoding="utf-8")
    load_profiles(tmp_path)
    set_calendar_day(admin, D(2027, 1, 1), is_workday=False, note="元旦")
    mark_calendar_year(admin, 2027, complete=True)
    vocab.save_term(admin, None, vocabulary="relation", value="曾孙子", position=99, active=True)
    after = {k: _stamp(k) for k in ("profiles", "calendar", "vocab")}
    assert after["profiles"] > before["profiles"]
    assert after["calendar"] >= before["calendar"] + 2
    assert after["vocab"] > before["vocab"]
    assert Term.objects.filter(value="曾孙子").exists()


def test_a_rolled_back_calendar_edit_leaves_no_stale_cache_R_CFG_04():
    from fangpin.accounts.roles import Role
    from fangpin.profiles import services
    from tests.factories import user

    admin = user("sysadmin", Role.ADMINISTRATOR, None, is_staff=True, is_superuser=True)
    working_calendar()

    class Boom(Exception):
        pass

    def failing_recompute(actor, change):
        raise Boom

    from fangpin.profiles import deadlines

    deadlines.register("test-failing", failing_recompute)
    try:
        with pytest.raises(Boom):
            services.set_calendar_day(admin, D(2027, 1, 1), is_workday=False, note="元旦")
    finally:
        deadlines.unregister("test-failing")
    assert working_calendar().is_workday(D(2027, 1, 1))


@pytest.mark.django_db
def test_a_page_request_checks_the_stamp_at_most_once_R_CFG_04(client, county, households, personas):
    """The household list stays cheap: one tiny stamp query per request at most, and it sees a profile
    change made by another process."""
    client.force_login(personas["county_officer"])
    client.get("/households/")
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/households/")
    stamp_queries = [q for q in ctx.captured_queries if "profiles_configstamp" in q["sql"]]
    assert len(stamp_queries) <= 1
    assert "脱贫户" in page.content.decode()
    row = PolicyProfile.objects.filter(key="suixi").order_by("-version").first()
    cats = [dict(c, name="脱贫户（已消除风险）") if c["code"] == "formerly_poor" else c
            for c in row.data["categories"]["household"]]
    PolicyProfile.objects.filter(pk=row.pk).update(data=dict(row.data, categories={"household": cats}))
    _bump_elsewhere("profiles")
    assert "脱贫户（已消除风险）" in client.get("/households/").content.decode()
