"""Problem tickets with clearing deadlines by difficulty: the service door (R-TRACK-05)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangpin.assistance.models import ContactAssignment
from fangpin.audit.models import Event
from fangpin.followup import tickets
from fangpin.followup.models import Ticket, TicketStatus, Visit
from fangpin.registry.models import Household

DAY = dt.date(2026, 5, 11)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _open(actor, household, **data):
    data = {"dimension": "water", "description": "自来水管道冬季冻裂，全家取水困难", **data}
    return tickets.open_ticket(actor, household, data, today=DAY).obj


def _state(ticket):
    ticket.refresh_from_db()
    return (ticket.status, ticket.version, ticket.closed_on, ticket.evidence, ticket.difficulty, ticket.due_on,
            ticket.responsible_id, ticket.description)


@pytest.mark.parametrize(("difficulty", "days"), [("general", 15), ("difficult", 182), ("special", 365)])
def test_deadline_follows_difficulty_from_the_profile_R_TRACK_05(households, personas, difficulty, days):
    t = _open(personas["cadre_a"], households["a1"], difficulty=difficulty, opened_on="2026-05-01")
    assert t.opened_on == dt.date(2026, 5, 1)
    assert t.due_on == dt.date(2026, 5, 1) + dt.timedelta(days=days)
    assert t.responsible_code == "340621100201" and t.status == TicketStatus.OPEN
    assert t.source == "manual" and t.created_by == personas["cadre_a"]
    assert Event.objects.filter(action="ticket.open", object_id=str(t.pk), actor=personas["cadre_a"]).exists()


def test_a_county_profile_overrides_the_clearing_days_R_TRACK_05(households, personas):
    from fangpin.profiles.models import PolicyProfile
    from fangpin.profiles.services import profile_for_county

    row = PolicyProfile.objects.get(key="suixi")
    row.data = {**row.data, "clearing": {**row.data.get("clearing", {}), "general_days": 10, "difficult_days": 90,
                                         "special_days": 365}}
    row.save()
    profile_for_county.cache_clear()
    t = _open(personas["cadre_a"], households["a1"])
    assert t.due_on == DAY + dt.timedelta(days=10)


def test_responsible_is_the_households_current_contact_R_TRACK_05(households, personas):
    ContactAssignment.objects.create(household=households["a1"], contact=personas["contact"], assigned_on=DAY)
    t = _open(personas["cadre_a"], households["a1"])
    assert (t.responsible, t.responsible_name) == (personas["contact"], "帮扶联系人")
    t2 = _open(personas["cadre_a"], households["a2"], dimension="food")
    assert t2.responsible is None and t2.responsible_name == ""


def test_bad_input_is_refused_naming_each_field_and_nothing_is_saved_R_TRACK_05(households, personas):
    with pytest.raises(ValidationError) as err:
        tickets.open_ticket(personas["cadre_a"], households["a1"], {
            "dimension": "roof", "description": "", "difficulty": "urgent", "opened_on": "2026-06-01",
            "source": "visit", "source_ref": "99999"}, today=DAY)
    errors = err.value.message_dict
    assert "问题类别" in errors["dimension"][0]
    assert "问题描述不能为空" in errors["description"][0]
    assert "难易程度" in errors["difficulty"][0]
    assert "发现日期不能晚于2026-05-11" in errors["opened_on"][0]
    assert "不是本户的走访记录" in errors["source_ref"][0]
    assert not Ticket.objects.exists() and not Event.objects.filter(action__startswith="ticket.").exists()


def test_source_references_must_exist_in_the_users_area_R_TRACK_05(households, personas):
    visit = Visit.objects.create(household=households["a1"], division_code=households["a1"].division_code,
                                 visited_on=DAY, mode="home", purpose="routine", visitor_name="蔡书记")
    other = Visit.objects.create(household=households["b1"], division_code=households["b1"].division_code,
                                 visited_on=DAY, mode="home", purpose="routine", visitor_name="任书记")
    with pytest.raises(ValidationError) as err:
        _open(personas["cadre_a"], households["a1"], source="visit", source_ref=str(other.pk))
    assert "不是本户的走访记录" in err.value.message_dict["source_ref"][0]
    with pytest.raises(ValidationError) as err:
        _open(personas["cadre_a"], households["a1"], source="lead", source_ref="XS-340621-2026-000001")
    assert "线索编号" in err.value.message_dict["source_ref"][0]
    t = _open(personas["cadre_a"], households["a1"], source="visit", source_ref=str(visit.pk))
    assert t.visit == visit and t.source_ref == str(visit.pk)


def test_one_open_ticket_per_problem_a_second_manual_one_is_refused_naming_it_R_TRACK_05(households, personas):
    first = _open(personas["cadre_a"], households["a1"])
    with pytest.raises(ValidationError) as err:
        _open(personas["township_officer"], households["a1"], description="又发现水井干涸")
    assert f"问题#{first.pk}" in err.value.message_dict["dimension"][0]
    assert Ticket.objects.filter(household=households["a1"]).count() == 1


def test_a_second_finding_appends_to_the_open_ticket_and_keeps_its_deadline_R_TRACK_05(households, personas):
    first = _open(personas["cadre_a"], households["a1"], opened_on="2026-05-01")
    due = first.due_on
    out = tickets.open_from_findings(personas["contact"], households["a1"], [
        {"dimension": "water", "description": "入户查看水缸见底，仍靠邻居送水"},
        {"dimension": "housing", "description": "西屋墙体裂缝，疑似C级危房", "difficulty": "difficult"},
    ], source="visit", today=DAY)
    assert len(out) == 2
    first.refresh_from_db()
    assert first.due_on == due and "入户查看水缸见底" in first.description and "2026-05-11走访发现" in first.description
    assert Ticket.objects.filter(household=households["a1"], status="open").count() == 2
    assert Ticket.objects.filter(household=households["a1"], dimension="water").count() == 1
    housing = Ticket.objects.get(household=households["a1"], dimension="housing")
    assert housing.due_on == DAY + dt.timedelta(days=182) and housing.source == "visit"
    for _ in range(20):  # descriptions stay within 500 characters
        tickets.open_from_findings(personas["contact"], households["a1"], [
            {"dimension": "water", "description": "仍未解决" * 10}], source="sweep", today=DAY)
    first.refresh_from_db()
    assert len(first.description) == 500
    assert Ticket.objects.filter(household=households["a1"], dimension="water").count() == 1


def test_findings_are_all_validated_first_naming_the_item_R_TRACK_05(households, personas):
    with pytest.raises(ValidationError) as err:
        tickets.open_from_findings(personas["contact"], households["a1"], [
            {"dimension": "water", "description": "水管冻裂"},
            {"dimension": "roof", "description": ""},
        ], source="visit", today=DAY)
    message = err.value.message_dict["problems"][0]
    assert "第2项问题的问题类别" in message and "第2项问题的问题描述不能为空" in message
    assert not Ticket.objects.exists()


def test_open_from_registry_is_set_based_and_idempotent_R_TRACK_05(households, personas):
    Household.objects.filter(pk=households["a1"].pk).update(water_secure=False, housing_grade="D")
    Household.objects.filter(pk=households["b1"].pk).update(medical_secure=False, housing_grade="B")
    Household.objects.filter(pk=households["c1"].pk).update(food_secure=False, education_secure=True)
    ContactAssignment.objects.create(household=households["a1"], contact=personas["contact"], assigned_on=DAY)
    _open(personas["cadre_a"], households["a1"], dimension="housing", description="危房改造已立项")
    with CaptureQueriesContext(connection) as ctx:
        opened = tickets.open_from_registry(personas["county_officer"], "340621", today=DAY, source_ref="导入批次1")
    assert opened == 3  # a1 water (housing already open), b1 medical, c1 food
    assert len(ctx.captured_queries) < 30  # a query or two per problem kind, not per household
    water = Ticket.objects.get(household=households["a1"], dimension="water")
    assert (water.source, water.difficulty, water.due_on) == ("import", "general", DAY + dt.timedelta(days=15))
    assert water.description == "导入数据显示饮水安全无保障" and water.responsible == personas["contact"]
    assert water.responsible_name == "帮扶联系人" and water.responsible_code == "340621100201"
    assert Ticket.objects.filter(household=households["a1"], dimension="housing").count() == 1
    event = Event.objects.get(action="ticket.open_registry")
    assert event.after["opened"] == 3
    assert tickets.open_from_registry(personas["county_officer"], "340621", today=DAY) == 0
    assert Ticket.objects.count() == 4 and Event.objects.filter(action="ticket.open_registry").count() == 1
    with pytest.raises(PermissionDenied):
        tickets.open_from_registry(personas["cadre_a"], "340621", today=DAY)


def test_reclassify_recomputes_the_deadline_from_the_finding_day_R_TRACK_05(households, personas):
    t = _open(personas["cadre_a"], households["a1"], dimension="housing", description="房屋鉴定为D级，需拆除重建",
              opened_on="2026-04-01")
    assert t.due_on == dt.date(2026, 4, 16)
    result = tickets.reclassify(personas["township_officer"], t, "difficult", "需整体拆除重建，工期较长", today=DAY)
    t.refresh_from_db()
    assert t.difficulty == "difficult" and t.due_on == dt.date(2026, 4, 1) + dt.timedelta(days=182)
    assert "2026-09-30" in result.message
    event = Event.objects.get(action="ticket.reclassify")
    assert event.after["reason"] == "需整体拆除重建，工期较长" and event.before["difficulty"] == "general"
    with pytest.raises(ValidationError) as err:
        tickets.reclassify(personas["county_officer"], t, "special", "  ", today=DAY)
    assert "调整原因不能为空" in err.value.message_dict["reason"][0]


def test_a_village_cannot_reclassify_its_own_problem_R_TRACK_05(households, personas):
    t = _open(personas["cadre_a"], households["a1"])
    before = _state(t)
    for who in ("cadre_a", "contact", "grid_worker"):
        with pytest.raises(PermissionDenied):
            tickets.reclassify(personas[who], t, "special", "想多争取时间", today=DAY)
    assert _state(t) == before and not Event.objects.filter(action="ticket.reclassify").exists()


def test_closing_without_evidence_is_refused_and_nothing_changes_R_TRACK_05(households, personas):
    Household.objects.filter(pk=households["a1"].pk).update(water_secure=False)
    t = _open(personas["cadre_a"], households["a1"])
    before = _state(t)
    with pytest.raises(ValidationError) as err:
        tickets.close_ticket(personas["cadre_a"], t, {"evidence": ""}, today=DAY)
    assert err.value.message_dict["evidence"][0].startswith("销号必须提供佐证")
    with pytest.raises(ValidationError) as err:
        tickets.close_ticket(personas["cadre_a"], t, {"evidence": "已解决"}, today=DAY)
    assert "至少10个字" in err.value.message_dict["evidence"][0]
    with pytest.raises(ValidationError) as err:
        tickets.close_ticket(personas["cadre_a"], t, {"evidence": "已接通自来水并试水正常使用", "closed_on": "2026-04-01"},
                             today=DAY)
    assert "销号日期不能早于发现日期 2026-05-11" in err.value.message_dict["closed_on"][0]
    assert _state(t) == before
    assert Household.objects.get(pk=households["a1"].pk).water_secure is False
    assert not Event.objects.filter(action__in=["ticket.close", "basic_needs.update"]).exists()


def test_closing_with_evidence_clears_the_ticket_and_marks_the_registry_secure_R_TRACK_05(households, personas):
    Household.objects.filter(pk=households["a1"].pk).update(water_secure=False, housing_grade="C")
    water = _open(personas["cadre_a"], households["a1"])
    house = _open(personas["cadre_a"], households["a1"], dimension="housing", description="住房鉴定为C级危房")
    result = tickets.close_ticket(personas["cadre_a"], water, {
        "evidence": "已接通集中供水管网，入户试水正常", "version": water.version}, today=DAY)
    water.refresh_from_db()
    assert (water.status, water.closed_on, water.closed_by) == ("closed", DAY, personas["cadre_a"])
    assert "农户信息已同步更新" in result.message
    h = Household.objects.get(pk=households["a1"].pk)
    assert h.water_secure is True and h.basic_needs_checked_on == DAY
    tickets.close_ticket(personas["township_officer"], house, {
        "evidence": "已完成危房改造并验收，住房鉴定为B级", "housing_grade": "b"}, today=DAY)
    assert Household.objects.get(pk=households["a1"].pk).housing_grade == "B"
    assert Event.objects.filter(action="ticket.close").count() == 2
    assert Event.objects.filter(action="basic_needs.update", household=households["a1"]).count() == 2
    with pytest.raises(ValidationError) as err:  # a second close does not succeed
        tickets.close_ticket(personas["county_officer"], water, {"evidence": "再次销号的佐证说明文字"}, today=DAY)
    assert "已于2026-05-11" in err.value.message_dict["__all__"][0]


def test_a_stale_version_is_refused_R_TRACK_05(households, personas):
    t = _open(personas["cadre_a"], households["a1"])
    tickets.reclassify(personas["township_officer"], t, "difficult", "需协调水利部门改线", today=DAY)
    before = _state(t)
    with pytest.raises(ValidationError) as err:
        tickets.close_ticket(personas["cadre_a"], t, {"evidence": "已接通自来水并试水正常使用", "version": 1}, today=DAY)
    assert "已被他人修改" in err.value.message_dict["__all__"][0]
    assert _state(t) == before


def test_the_responsible_contact_closes_without_writing_the_registry_R_TRACK_05(households, personas):
    Household.objects.filter(pk=households["a1"].pk).update(water_secure=False)
    t = _open(personas["cadre_a"], households["a1"])
    with pytest.raises(PermissionDenied):
        tickets.close_ticket(personas["contact"], t, {"evidence": "已接通自来水并试水正常使用"}, today=DAY)
    tickets.assign(personas["cadre_a"], t, personas["contact"].pk)
    t.refresh_from_db()
    assert t.responsible == personas["contact"]
    tickets.close_ticket(personas["contact"], t, {"evidence": "已接通自来水并试水正常使用"}, today=DAY)
    t.refresh_from_db()
    assert t.status == "closed"
    assert Household.objects.get(pk=households["a1"].pk).water_secure is False  # the village confirms the flag


def test_assign_takes_an_active_person_of_the_area_only_R_TRACK_05(households, personas):
    from fangpin.accounts.roles import Role
    from tests.factories import user

    t = _open(personas["cadre_a"], households["a1"])
    before = _state(t)
    gone = user("gone", Role.ASSISTANCE_CONTACT, personas["contact"].division, is_active=False)
    for pk in (personas["cadre_b"].pk, gone.pk, personas["supervisor"].pk, 987654, "abc"):
        with pytest.raises(ValidationError) as err:
            tickets.assign(personas["township_officer"], t, pk)
        assert "责任人" in err.value.message_dict["responsible"][0]
    with pytest.raises(PermissionDenied):
        tickets.assign(personas["county_officer"], t, personas["cadre_a"].pk)
    assert _state(t) == before
    tickets.assign(personas["township_officer"], t, personas["cadre_a"].pk)
    t.refresh_from_db()
    assert t.responsible_name == "蔡书记"


def test_evidence_file_type_and_size_are_checked_R_TRACK_05(households, personas):
    t = _open(personas["cadre_a"], households["a1"])
    before = _state(t)
    bad = SimpleUploadedFile("佐证.exe", b"MZ")
    with pytest.raises(ValidationError) as err:
        tickets.close_ticket(personas["cadre_a"], t, {"evidence": "已接通自来水并试水正常使用"}, upload=bad, today=DAY)
    assert "文件类型不支持" in err.value.message_dict["file"][0]
    big = SimpleUploadedFile("验收单.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError) as err:
        tickets.close_ticket(personas["cadre_a"], t, {"evidence": "已接通自来水并试水正常使用"}, upload=big, today=DAY)
    assert "超过10MB" in err.value.message_dict["file"][0]
    assert _state(t) == before and not t.evidence_file
    ok = SimpleUploadedFile("验收单.pdf", b"%PDF-1.4\n%%EOF\n")
    tickets.close_ticket(personas["cadre_a"], t, {"evidence": "已接通自来水并试水正常使用"}, upload=ok, today=DAY)
    t.refresh_from_db()
    assert t.evidence_file_name == "验收单.pdf" and t.evidence_file.name.startswith(f"followup/tickets/340621/{t.pk}/")


def test_other_areas_cannot_act_on_a_ticket_R_TRACK_05(households, personas):
    t = _open(personas["cadre_a"], households["a1"])
    before = _state(t)
    with pytest.raises(PermissionDenied):
        tickets.close_ticket(personas["cadre_b"], t, {"evidence": "已接通自来水并试水正常使用"}, today=DAY)
    with pytest.raises(PermissionDenied):
        tickets.open_ticket(personas["cadre_b"], households["a1"], {"dimension": "food", "description": "缺粮"}, today=DAY)
    with pytest.raises(PermissionDenied):
        tickets.open_ticket(personas["supervisor"], households["a1"], {"dimension": "food", "description": "缺粮"},
                            today=DAY)
    assert _state(t) == before and Ticket.objects.count() == 1
