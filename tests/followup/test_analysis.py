"""Analysis material, meetings and the income series (R-TRACK-03, issue items 5 and 6): content and
scoping of the material, a fixed number of queries however many households, the meeting's record with
its refusals (nothing saved), the pages, the export and the API."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangpin.accounts.scoping import OutOfScope
from fangpin.assistance.models import ContactAssignment, Measure
from fangpin.audit.models import Event
from fangpin.followup import analysis
from fangpin.followup.models import Meeting, MeetingKind, Ticket, Visit, VisitSchedule
from fangpin.profiles.services import today
from fangpin.registry.models import IncomeRecord
from tests.factories import household

DAY = dt.date(2026, 11, 20)


def income(h, year, *, month=None, net, size=3, purpose="regular"):
    return IncomeRecord.objects.create(
        household=h, year=year, period="month" if month else "annual", month=month, purpose=purpose,
        household_size=size, net_income=Decimal(net), per_capita_net_income=(Decimal(net) / size).quantize(Decimal("0.01")))


def unresolved(county, grid, n, start=100):
    """``n`` monitored households in ``grid`` with a measure, two visits, a ticket, incomes and a contact."""
    out = []
    for i in range(n):
        h = household(grid, f"34062110020100{start + i:02d}", f"王{'建国立新明华'[i % 6]}{i}", category="marginal_at_risk",
                      status="monitored")
        h.risk_types = ["因病"]
        h.save(update_fields=["risk_types"])
        Measure.objects.create(household=h, category="健康帮扶", content="落实大病保险和医疗救助", status="in_place")
        for d in (dt.date(2026, 9, 10), dt.date(2026, 10, 12)):
            Visit.objects.create(household=h, division_code=h.division_code, visited_on=d, mode="home",
                                 purpose="monthly", month=d.replace(day=1), visitor_name="帮扶联系人",
                                 findings="户主病情稳定，已按时复诊")
        Ticket.objects.create(household=h, division_code=h.division_code, dimension="medical",
                              description="慢性病门诊报销未落实", source="visit", opened_on=dt.date(2026, 10, 12),
                              due_on=dt.date(2026, 10, 27), responsible_code=h.division_code[:12])
        income(h, 2026, month=10, net="2400")
        income(h, 2025, net="21000")
        out.append(h)
    return out


@pytest.fixture
def scene(households, personas):
    a2 = households["a2"]  # monitored, village A
    a2.risk_types = ["因病", "因残"]
    a2.save(update_fields=["risk_types"])
    Measure.objects.create(household=a2, category="产业帮扶", content="发展养鸡产业，补助2000元", status="in_place")
    Measure.objects.create(household=a2, category="就业帮扶", content="安排公益性岗位", status="planned")
    Measure.objects.create(household=a2, category="其他", content="已取消的措施", status="cancelled")
    Visit.objects.create(household=a2, division_code=a2.division_code, visited_on=dt.date(2026, 9, 5), mode="home",
                         purpose="monthly", month=dt.date(2026, 9, 1), visitor_name="帮扶联系人", findings="旧的走访")
    Visit.objects.create(household=a2, division_code=a2.division_code, visited_on=dt.date(2026, 10, 15),
                         mode="phone", purpose="monthly", month=dt.date(2026, 10, 1), visitor_name="帮扶联系人",
                         findings="户主外出务工，电话回访，身份证340621197003050092已核对" + "很" * 80)
    VisitSchedule.objects.create(household=a2, division_code=a2.division_code, month=dt.date(2026, 10, 1),
                                 reason="monitored", due_on=dt.date(2026, 10, 31))  # overdue on DAY
    ContactAssignment.objects.create(household=a2, contact=personas["contact"], assigned_on=dt.date(2026, 3, 1))
    income(a2, 2026, month=9, net="1800")
    income(a2, 2026, month=10, net="2100")
    income(a2, 2025, net="24000")
    # Records within the pages' own window (they read the real today): last month and last year.
    last_month = today().replace(day=1) - dt.timedelta(days=1)
    income(a2, last_month.year, month=last_month.month, net="2000", purpose="elimination")
    income(a2, today().year - 1, net="23000", purpose="elimination")
    a1 = households["a1"]  # not monitored, but an open ticket: on the list too
    Ticket.objects.create(household=a1, division_code=a1.division_code, dimension="water", description="饮水不稳定",
                          source="visit", opened_on=dt.date(2026, 11, 1), due_on=dt.date(2026, 11, 16),
                          responsible_code=a1.division_code[:12])
    c1 = households["c1"]  # other township, monitored
    c1.monitoring_status = "monitored"
    c1.save(update_fields=["monitoring_status"])
    return households


# --- income series ---------------------------------------------------------------------------------


def test_income_series_mixes_monthly_and_annual_records_R_TRACK_03(households):
    h = households["a2"]
    income(h, 2026, month=10, net="2100")
    income(h, 2026, month=10, net="9999", purpose="elimination")  # the regular record wins
    income(h, 2026, month=3, net="1500")
    income(h, 2025, month=11, net="1200")  # the first month of the window
    income(h, 2025, month=10, net="5000")  # outside the window
    income(h, 2025, net="24000")
    income(h, 2025, net="30000", purpose="identification")
    out = analysis.income_series([h.pk], end_month=DAY)[h.pk]
    assert out["months"][0] == "2025-12" and out["months"][-1] == "2026-11" and len(out["months"]) == 12
    assert out["per_capita"][out["months"].index("2026-10")] == 700.0
    assert out["net"][out["months"].index("2026-10")] == 2100.0
    assert out["per_capita"][out["months"].index("2026-03")] == 500.0
    assert out["per_capita"][-1] is None and 5000.0 not in out["net"]
    assert out["line"][-1] == round(7900 / 12, 2) and out["line"][0] == round(7600 / 12, 2)
    assert out["annual"] == [{"year": 2025, "per_capita": 8000.0, "net": 24000.0, "line": 7600.0, "purpose": "常规采集"}]
    out13 = analysis.income_series([h.pk], end_month=DAY, months=13)[h.pk]
    assert out13["per_capita"][0] == 400.0  # 2025-11


def test_sparkline_is_plain_svg_and_empty_without_data_R_TRACK_03():
    svg = analysis.sparkline([None, 500.0, 700.0], [600.0, 600.0, 650.0])
    assert svg.startswith("<svg") and svg.count("<polyline") == 2 and "<script" not in svg
    assert analysis.sparkline([None, None]) == ""


# --- material ----------------------------------------------------------------------------------------


def test_village_material_has_risks_measures_visit_income_tickets_overdue_R_TRACK_03(scene, personas):
    rows = analysis.material(personas["cadre_a"], scene["a2"].village, today=DAY)
    by_number = {r["number"]: r for r in rows}
    assert set(by_number) == {scene["a1"].number, scene["a2"].number}  # b1 is in village B, c1 elsewhere
    r = by_number[scene["a2"].number]
    assert r["head_name"] == "蔡永华" and r["risks"] == ["因病", "因残"] and r["village"] == "蔡桥村"
    assert [(m["content"], m["status"]) for m in r["measures"]] == [("发展养鸡产业，补助2000元", "已落实"),
                                                                     ("安排公益性岗位", "待落实")]
    v = r["latest_visit"]
    assert v["visited_on"] == dt.date(2026, 10, 15) and v["mode"] == "电话" and v["visitor"] == "帮扶联系人"
    assert v["findings"].endswith("…") and len(v["findings"]) == analysis.FINDINGS_SHOWN + 1
    assert r["income"][r["income_months"].index("2026-10")] == 700.0 and "<svg" in r["sparkline"]
    assert r["annual_income"][0]["year"] == 2025
    assert [o["kind"] for o in r["overdue"]] == ["visit"] and r["colour"]["colour"] == "red"
    assert r["contact"] == "帮扶联系人"
    a1 = by_number[scene["a1"].number]
    assert a1["tickets"][0]["dimension"] == "饮水安全" and a1["tickets"][0]["overdue"] is True
    assert a1["latest_visit"] is None and a1["measures"] == []


def test_material_masks_id_numbers_for_a_role_without_full_ids_R_TRACK_03(scene, personas):
    rows = analysis.material(personas["supervisor"], scene["a2"].village, today=DAY)
    a2 = next(r for r in rows if r["number"] == scene["a2"].number)
    assert "340621197003050092" not in a2["latest_visit"]["findings"]


def test_township_dispatch_material_and_scoping_R_TRACK_03(scene, personas, county):
    rows = analysis.dispatch_material(personas["township_officer"], county["t1"], DAY)
    assert {r["number"] for r in rows} == {scene["a1"].number, scene["a2"].number}
    with pytest.raises(Exception) as exc:
        analysis.dispatch_material(personas["township_officer"], county["t2"], DAY)
    assert exc.value.__class__.__name__ == "Http404"
    with pytest.raises(Exception) as exc:
        analysis.material(personas["cadre_a"], county["vb"], today=DAY)
    assert exc.value.__class__.__name__ == "Http404"


def _queries(django_assert_max_num_queries, personas, division):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        rows = analysis.material(personas["township_officer"], division, today=DAY)
    # Cache reads (the county profile, the calendar) come and go with the cache; the data queries are counted.
    return len(rows), len([q for q in ctx.captured_queries if "fangpin_cache" not in q["sql"] and "profiles_" not in q["sql"]])


def test_material_query_count_is_constant_for_3_and_10_households_R_TRACK_03(county, personas,
                                                                             django_assert_max_num_queries):
    unresolved(county, county["grid_a1"], 3)
    analysis.material(personas["township_officer"], county["t1"], today=DAY)  # warm the profile cache
    n3, q3 = _queries(django_assert_max_num_queries, personas, county["t1"])
    unresolved(county, county["grid_a2"], 7, start=200)
    n10, q10 = _queries(django_assert_max_num_queries, personas, county["t1"])
    assert (n3, n10) == (3, 10)
    assert q10 == q3 <= 16
    with django_assert_max_num_queries(q3 + 4):
        analysis.material(personas["township_officer"], county["t1"], today=DAY)


# --- meetings ---------------------------------------------------------------------------------------


GOOD = {"held_on": "2026-11-18", "attendees": "蔡书记、王主任、驻村第一书记李明", "conclusions": "逐户研判，2户继续监测；饮水问题本月底前解决"}


def counts():
    return Meeting.objects.count(), Event.objects.filter(action="meeting.record").count()


def test_village_cadre_records_the_half_monthly_analysis_R_TRACK_03(scene, personas, county):
    a2 = scene["a2"]
    m = analysis.record_meeting(personas["cadre_a"], county["va"], MeetingKind.VILLAGE_ANALYSIS,
                                {**GOOD, "household_notes": {str(a2.pk): "继续落实公益性岗位", str(scene["a1"].pk): ""}},
                                today=DAY)
    assert (m.held_on, m.households, m.division_code) == (dt.date(2026, 11, 18), 2, county["va"].code)
    assert m.period_start == dt.date(2026, 11, 3) and m.period_end == dt.date(2026, 11, 18)
    assert m.household_notes == {str(a2.pk): "继续落实公益性岗位"}
    event = Event.objects.get(action="meeting.record")
    assert event.actor == personas["cadre_a"] and event.after["conclusions"] == GOOD["conclusions"]


@pytest.mark.parametrize("data,field,text", [
    ({"held_on": "2026-11-21"}, "held_on", "召开日期不能晚于2026-11-20"),
    ({"held_on": ""}, "held_on", "召开日期不能为空"),
    ({"conclusions": "  "}, "conclusions", "会议结论不能为空"),
    ({"attendees": ""}, "attendees", "参会人员不能为空"),
    ({"period_start": "2026-11-19", "period_end": "2026-11-10"}, "period_start", "研判期间起不能晚于研判期间止"),
    ({"household_notes": {"abc": "意见"}}, "household_notes", "逐户研判意见的农户"),
])
def test_bad_meeting_input_is_refused_and_nothing_saved_R_TRACK_03(scene, personas, county, data, field, text):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        analysis.record_meeting(personas["cadre_a"], county["va"], MeetingKind.VILLAGE_ANALYSIS, {**GOOD, **data},
                                today=DAY)
    assert text in exc.value.message_dict[field][0]
    assert counts() == before


def test_a_note_for_a_household_of_another_village_is_refused_R_TRACK_03(scene, personas, county):
    with pytest.raises(ValidationError) as exc:
        analysis.record_meeting(personas["cadre_a"], county["va"], MeetingKind.VILLAGE_ANALYSIS,
                                {**GOOD, "household_notes": {str(scene["b1"].pk): "意见"}}, today=DAY)
    assert "不属于本村/乡镇" in exc.value.message_dict["household_notes"][0]


def test_meeting_role_and_area_refusals_change_nothing_R_TRACK_03(scene, personas, county):
    before = counts()
    cases = [
        (personas["grid_worker"], county["va"], MeetingKind.VILLAGE_ANALYSIS, PermissionDenied),
        (personas["township_officer"], county["va"], MeetingKind.VILLAGE_ANALYSIS, PermissionDenied),
        (personas["cadre_b"], county["va"], MeetingKind.VILLAGE_ANALYSIS, OutOfScope),
        (personas["cadre_a"], county["t1"], MeetingKind.TOWNSHIP_DISPATCH, PermissionDenied),
        (personas["township_officer"], county["t2"], MeetingKind.TOWNSHIP_DISPATCH, OutOfScope),
    ]
    for actor, division, kind, error in cases:
        with pytest.raises(error):
            analysis.record_meeting(actor, division, kind, GOOD, today=DAY)
    with pytest.raises(ValidationError) as exc:  # a township's dispatch is recorded for a township
        analysis.record_meeting(personas["township_officer"], county["va"], MeetingKind.TOWNSHIP_DISPATCH, GOOD,
                                today=DAY)
    assert exc.value.message_dict["division"] == ["蔡桥村不是乡镇，不能记录乡镇月度调度"]
    assert counts() == before


def test_pending_analysis_and_dispatch_when_due_R_TRACK_03(scene, personas, county):
    cadre, township = personas["cadre_a"], personas["township_officer"]
    assert analysis.pending_meetings(cadre, DAY)[0]["title"].startswith("本村半月分析研判待开展")
    analysis.record_meeting(cadre, county["va"], MeetingKind.VILLAGE_ANALYSIS, GOOD, today=DAY)
    assert analysis.pending_meetings(cadre, DAY) == []
    assert analysis.pending_meetings(cadre, dt.date(2026, 12, 3))[0]["due"] == dt.date(2026, 12, 3)
    assert "本乡镇月度调度待开展" in analysis.pending_meetings(township, DAY)[0]["title"]
    analysis.record_meeting(township, county["t1"], MeetingKind.TOWNSHIP_DISPATCH, GOOD, today=DAY)
    assert analysis.pending_meetings(township, DAY) == []
    assert analysis.pending_meetings(township, dt.date(2026, 12, 18))
    assert analysis.pending_meetings(personas["grid_worker"], DAY) == []


# --- pages and API ----------------------------------------------------------------------------------


def test_pages_home_material_print_export_R_TRACK_03(scene, personas, login, county):
    client = login(personas["township_officer"])
    home = client.get("/visits/analysis/").content.decode()
    assert "蔡桥村" in home and "任集村" in home and "濉溪镇" in home
    page = client.get(f"/visits/analysis/township/{county['t1'].code}/")
    body = page.content.decode()
    assert page.status_code == 200 and "data-print" in body and "js/print.js" in body and "<svg" in body
    assert scene["a2"].number in body and scene["c1"].number not in body and "记录会议结论" in body
    assert client.get(f"/visits/analysis/township/{county['t2'].code}/").status_code == 404
    assert client.get(f"/visits/analysis/village/{county['vc'].code}/").status_code == 404
    assert client.get("/visits/analysis/village/abc/").status_code == 404
    export = client.get(f"/visits/analysis/township/{county['t1'].code}/export/")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "户编号" and {scene["a2"].number, scene["a1"].number} <= {r[0] for r in values[1:]}
    grid = login(personas["grid_worker"])
    assert grid.get(f"/visits/analysis/township/{county['t1'].code}/export/").status_code == 403


def test_meeting_form_list_detail_pages_R_TRACK_03(scene, personas, login, county):
    client = login(personas["cadre_a"])
    url = f"/visits/analysis/{county['va'].code}/meetings/new/"
    assert scene["a2"].number in client.get(url).content.decode()
    bad = client.post(url, {"held_on": "2099-01-01", "attendees": "蔡书记", "conclusions": ""})
    assert bad.status_code == 200 and "召开日期不能晚于" in bad.content.decode() and "会议结论不能为空" in bad.content.decode()
    assert Meeting.objects.count() == 0
    ok = client.post(url, {"held_on": "2026-11-18", "attendees": "蔡书记、王主任", "conclusions": "继续监测",
                           f"note_{scene['a2'].pk}": "落实公益性岗位"})
    meeting = Meeting.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/visits/analysis/meetings/{meeting.pk}/"
    detail = client.get(ok["Location"]).content.decode()
    assert "继续监测" in detail and "落实公益性岗位" in detail
    assert "蔡桥村" in client.get("/visits/analysis/meetings/").content.decode()
    assert login(personas["cadre_b"]).get(ok["Location"]).status_code == 404
    assert login(personas["supervisor"]).get(url).status_code == 403  # sees the village, does not record
    assert login(personas["grid_worker"]).get(url).status_code == 404  # the village is not within a grid


def test_api_material_meetings_income_series_R_TRACK_03(scene, personas, login, county):
    client = login(personas["township_officer"])
    body = client.get(f"/api/followup/analysis?division={county['t1'].code}").json()
    assert body["kind"] == "township_dispatch" and body["households"] == 2
    assert client.get(f"/api/followup/analysis?division={county['t2'].code}").status_code == 404
    series = client.get(f"/api/followup/households/{scene['a2'].pk}/income-series").json()
    assert len(series["months"]) == 12 and any(a["year"] == today().year - 1 for a in series["annual"])
    assert client.get(f"/api/followup/households/{scene['c1'].pk}/income-series").status_code == 404
    made = client.post("/api/followup/meetings", {"division": county["t1"].code, "held_on": "2026-11-18",
                                                  "attendees": "孙站长", "conclusions": "本月调度"},
                       content_type="application/json")
    assert made.status_code == 201 and made.json()["kind"] == "township_dispatch"
    bad = client.post("/api/followup/meetings", {"division": county["t1"].code, "held_on": "2026-11-18",
                                                 "attendees": "孙站长"}, content_type="application/json")
    assert bad.status_code in (400, 422) and bad.json()["errors"]["conclusions"] == ["会议结论不能为空"]
    assert login(personas["supervisor"]).post(
        "/api/followup/meetings", {"division": county["t1"].code, **GOOD}, content_type="application/json",
    ).status_code == 403
    assert login(personas["cadre_a"]).post(
        "/api/followup/meetings", {"division": county["t1"].code, **GOOD}, content_type="application/json",
    ).status_code == 404
    listing = login(personas["township_officer"]).get("/api/followup/meetings").json()
    assert listing["total"] == 1 and listing["items"][0]["conclusions"] == "本月调度"
    assert login(personas["cadre_b"]).get("/api/followup/meetings").json()["total"] == 0


def test_household_page_panel_shows_colour_overdue_visits_chart_data_and_card_link_R_TRACK_03(scene, personas, login):
    import json
    import re

    a2 = scene["a2"]
    page = login(personas["cadre_a"]).get(f"/households/{a2.pk}/").content.decode()
    assert "跟踪帮扶" in page and f"/visits/card/{a2.pk}/" in page and "followup/income_chart.js" in page
    assert "vendor/echarts.min.js" in page and "<script>" not in page  # data by json_script, no inline code
    data = json.loads(re.search(r'<script id="income-series" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert len(data["months"]) == 12 and {"per_capita", "net", "line", "annual"} <= set(data)
    assert page.count('href="/visits/records/') >= 2  # the last visits
    assert "记本月访视" not in page
    contact_page = login(personas["contact"]).get(f"/households/{a2.pk}/").content.decode()
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("followup:monthly_visit", args=[a2.pk])
        assert "记本月访视" in contact_page
    except NoReverseMatch:
        assert "记本月访视" not in contact_page


# --- generated requests --------------------------------------------------------------------------

from tests.apischema import call_as, run_settings, schema  # noqa: E402


@pytest.fixture
def analysis_world(scene, personas, county):
    analysis.record_meeting(personas["cadre_a"], county["va"], MeetingKind.VILLAGE_ANALYSIS,
                            {**GOOD, "held_on": today().isoformat()}, today=today())


@schema.include(path_regex="followup/(analysis|meetings|households/.*/(colour|income-series))").parametrize()
@run_settings(max_examples=25)
def test_no_generated_request_causes_a_server_error_R_TRACK_03(case, officer_session, analysis_world):
    call_as(case, officer_session)
