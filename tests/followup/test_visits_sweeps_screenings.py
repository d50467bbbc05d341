"""Visits (R-DISC-05), sweeps (R-DISC-06) and department screenings (R-DISC-07): bad input refused
with a Chinese message naming the field and nothing saved; coverage arithmetic; departments not reported."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from fangpin.audit.models import Event
from fangpin.followup import services
from fangpin.followup.models import DepartmentScreening, Sweep, Visit
from fangpin.followup.selectors import coverage, missing_households, not_reported, pending_for

DAY = dt.date(2026, 11, 20)
GOOD = {"visited_on": DAY.isoformat(), "mode": "home", "purpose": "routine"}


def refused(call, field):
    visits, events = Visit.objects.count(), Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        call()
    assert Visit.objects.count() == visits and Event.objects.count() == events
    return exc.value.message_dict[field][0]


def test_a_visit_is_recorded_and_audited_R_DISC_05(households, personas):
    h = households["a1"]
    result = services.record_visit(personas["grid_worker"], h, {
        **GOOD, "companion_name": "蔡书记", "risk_found": "1", "risk_types": ["因病"],
        "findings": "户主住院，已告知大病救助政策"}, today=DAY)
    v = result.obj
    assert (v.visitor, v.visitor_name, v.companion_name, v.risk_types) == (personas["grid_worker"], "蔡网格员", "蔡书记", ["因病"])
    event = Event.objects.get(action="visit.record")
    assert event.household == h and event.after["risk_types"] == ["因病"]
    assert "发现风险：因病" in result.message


@pytest.mark.parametrize("data,field,text", [
    ({"visited_on": (DAY + dt.timedelta(days=1)).isoformat()}, "visited_on", "走访日期不能晚于2026-11-20"),
    ({"visited_on": "2026-13-01"}, "visited_on", "走访日期格式不正确"),
    ({"visited_on": "2026-01-01"}, "visited_on", "走访日期不能早于"),
    ({"mode": ""}, "mode", "请选择走访方式"),
    ({"purpose": "party"}, "purpose", "请选择走访类型"),
    ({"risk_found": "1", "findings": "看到房屋漏雨"}, "risk_types", "发现风险时请至少选择一项风险类型"),
    ({"risk_found": "1", "risk_types": ["因病"]}, "findings", "发现风险时请填写走访情况"),
    ({"risk_types": ["因病"]}, "risk_types", "请同时勾选“发现风险”"),
    ({"risk_found": "1", "risk_types": ["外星人"], "findings": "x"}, "risk_types", "风险类型“外星人”不在字典值中"),
    ({"findings": "很" * 1001}, "findings", "走访情况不能超过1000字"),
    ({"purpose": "sweep"}, "purpose", "本县当前没有进行中的拉网式排查"),
])
def test_bad_visit_input_is_refused_and_nothing_saved_R_DISC_05(households, personas, data, field, text):
    message = refused(lambda: services.record_visit(personas["grid_worker"], households["a1"], {**GOOD, **data},
                                                    today=DAY), field)
    assert text in message


def test_a_visit_outside_the_area_or_by_a_department_is_refused_R_DISC_05(households, personas):
    with pytest.raises(PermissionDenied):
        services.record_visit(personas["cadre_b"], households["a1"], GOOD, today=DAY)
    with pytest.raises(PermissionDenied, match="行业部门"):
        services.record_visit(personas["department"], households["a1"], GOOD, today=DAY)
    assert not Visit.objects.exists()


def test_visit_page_form_keeps_input_and_names_the_field_R_DISC_05(households, personas, login):
    client = login(personas["grid_worker"])
    h = households["a1"]
    r = client.post(f"/visits/household/{h.pk}/new/", {"visited_on": "2099-01-01", "mode": "home",
                                                        "purpose": "routine", "findings": "保留我"})
    body = r.content.decode()
    assert r.status_code == 200 and "走访日期不能晚于" in body and "保留我" in body
    assert not Visit.objects.exists()
    r = client.post(f"/visits/household/{h.pk}/new/", {"visited_on": dt.date.today().isoformat(), "mode": "phone",
                                                        "purpose": "routine"})
    assert r.status_code == 302 and Visit.objects.get().mode == "phone"


def test_visit_api_refuses_bad_input_in_chinese_R_DISC_05(households, personas, login):
    client = login(personas["cadre_a"])
    r = client.post("/api/visits", {"household_id": households["a1"].pk, "visited_on": "昨天", "mode": "home"},
                    content_type="application/json")
    assert r.status_code == 422 and "走访日期格式不正确" in r.json()["errors"]["visited_on"][0]
    r = client.post("/api/visits", {"household_id": households["b1"].pk, "visited_on": dt.date.today().isoformat(),
                                    "mode": "home"}, content_type="application/json")
    assert r.status_code == 404  # another village's household: as if it did not exist
    assert not Visit.objects.exists()


# --- sweeps ---------------------------------------------------------------------------------------------


@pytest.fixture
def sweep(county, personas):
    return services.open_sweep(personas["county_officer"], county["county"], {
        "name": "2026年度拉网式排查", "starts_on": "2026-10-01", "ends_on": "2026-12-31"}, today=DAY).obj


def sweep_visit(user, h, day=DAY, **kw):
    return services.record_visit(user, h, {**GOOD, "visited_on": day.isoformat(), "purpose": "sweep", **kw}, today=DAY)


def test_sweep_coverage_per_township_village_and_grid_R_DISC_06(households, personas, sweep):
    cadre_a = personas["cadre_a"]
    sweep_visit(cadre_a, households["a1"])
    sweep_visit(cadre_a, households["a1"], day=DAY - dt.timedelta(days=5))  # twice: still one household
    sweep_visit(personas["cadre_b"], households["b1"], risk_found="1", risk_types=["因病"], findings="户主慢性病加重")
    services.record_visit(cadre_a, households["a2"], GOOD, today=DAY)  # a routine visit does not count
    officer = personas["county_officer"]
    county = coverage(sweep, officer, "340621")
    assert (county["total"], county["visited"], county["missing"], county["risk"], county["percent"]) == (4, 2, 2, 1, "50.0%")
    rows = {r["child"]: (r["total"], r["visited"], r["missing"], r["percent"]) for r in county["rows"]}
    assert rows == {"340621100": (3, 2, 1, "66.7%"), "340621102": (1, 0, 1, "0.0%")}
    township = coverage(sweep, personas["township_officer"], "340621100")
    villages = {r["child"]: (r["total"], r["visited"], r["percent"], r["visitors"]) for r in township["rows"]}
    assert villages == {"340621100201": (2, 1, "50.0%", [("蔡书记", 1)]), "340621100202": (1, 1, "100%", [("任书记", 1)])}
    grids = {r["child"]: r["visited"] for r in coverage(sweep, cadre_a, "340621100201")["rows"]}
    assert grids == {"34062110020100101": 1, "34062110020100201": 0}
    missing = set(missing_households(sweep, officer, "340621").values_list("pk", flat=True))
    assert missing == {households["a2"].pk, households["c1"].pk}
    # A village cadre sees only their village, whatever they ask for.
    assert coverage(sweep, personas["cadre_b"], "340621")["total"] == 1


def test_sweep_visit_outside_the_period_is_refused_R_DISC_06(households, personas, sweep):
    message = refused(lambda: sweep_visit(personas["cadre_a"], households["a1"], day=dt.date(2026, 9, 30)), "visited_on")
    assert "不在“2026年度拉网式排查”的排查期间（2026-10-01至2026-12-31）内" in message


def test_only_one_sweep_at_a_time_and_only_by_the_county_R_DISC_06(county, personas, sweep):
    with pytest.raises(ValidationError, match="已有进行中的拉网式排查"):
        services.open_sweep(personas["county_officer"], county["county"], {
            "name": "第二次", "starts_on": "2026-11-01", "ends_on": "2026-12-01"}, today=DAY)
    with pytest.raises(PermissionDenied):
        services.open_sweep(personas["township_officer"], county["county"], {
            "name": "乡镇排查", "starts_on": "2026-11-01", "ends_on": "2026-12-01"}, today=DAY)
    services.close_sweep(personas["county_officer"], sweep, today=DAY)
    assert Sweep.objects.get().status == "closed"
    with pytest.raises(ValidationError) as exc:
        services.open_sweep(personas["county_officer"], county["county"], {
            "name": "", "starts_on": "2026-12-01", "ends_on": "2026-11-01"}, today=DAY)
    assert exc.value.message_dict == {"name": ["排查名称不能为空"], "ends_on": ["结束日期不能早于开始日期"]}


def test_sweep_page_shows_coverage_and_missing_households_R_DISC_06(households, personas, sweep, login):
    sweep_visit(personas["cadre_a"], households["a1"])
    body = login(personas["township_officer"]).get(f"/visits/sweeps/{sweep.pk}/").content.decode()
    assert "应排查 <strong>3</strong> 户，已排查 <strong>1</strong> 户（33.3%）" in body
    assert f"户{households['a2'].number}" in body and f"户{households['c1'].number}" not in body


# --- department screenings ---------------------------------------------------------------------------------


SCREEN = {"year": "2026", "quarter": "4", "scope": "全县医保政策落实", "households_screened": "52000", "findings_count": "37"}


def test_a_department_reports_and_the_others_are_listed_R_DISC_07(county, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pdf = SimpleUploadedFile("排查报告.pdf", b"%PDF-1.4\n%%EOF\n")
    result = services.submit_screening(personas["department"], county["county"], SCREEN, upload=pdf, today=DAY)
    row = result.obj
    assert (row.department, row.year, row.quarter, row.file_name) == ("医保局", 2026, 4, "排查报告.pdf")
    missing = not_reported("340621", 2026, 4)
    assert "医保局" not in missing and missing[0] == "教育局" and len(missing) == 8
    assert len(not_reported("340621", 2026, 3)) == 9
    titles = [i["title"] for i in pending_for(personas["county_officer"], DAY)]
    assert "2026年第4季度未报送行业排查的部门 8 个" in titles
    assert not [i for i in pending_for(personas["department"], DAY) if "行业排查" in i["title"]]


@pytest.mark.parametrize("data,field,text", [
    ({"quarter": "5"}, "quarter", "季度应为1到4"),
    ({"year": "2027", "quarter": "1"}, "year", "年度应在2021到2026之间"),
    ({"households_screened": "很多"}, "households_screened", "排查户数应为整数"),
    ({"findings_count": "-1"}, "findings_count", "发现问题数应在0到5000000之间"),
    ({"scope": ""}, "scope", "排查范围不能为空"),
])
def test_bad_screening_input_is_refused_and_nothing_saved_R_DISC_07(county, personas, data, field, text):
    with pytest.raises(ValidationError) as exc:
        services.submit_screening(personas["department"], county["county"], {**SCREEN, **data}, today=DAY)
    assert text in exc.value.message_dict[field][0]
    assert not DepartmentScreening.objects.exists() and not Event.objects.filter(action="screening.submit").exists()


def test_a_department_not_on_the_list_and_other_roles_are_refused_R_DISC_07(county, personas):
    officer = personas["department"]
    officer.department = "气象局"
    with pytest.raises(ValidationError) as exc:
        services.submit_screening(officer, county["county"], SCREEN, today=DAY)
    assert "气象局" in exc.value.message_dict["department"][0]
    with pytest.raises(PermissionDenied):
        services.submit_screening(personas["cadre_a"], county["county"], SCREEN, today=DAY)
    bad = SimpleUploadedFile("x.exe", b"MZ")
    with pytest.raises(ValidationError) as exc:
        services.submit_screening(personas["county_officer"], county["county"], {**SCREEN, "department": "民政局"},
                                  upload=bad, today=DAY)
    assert "文件类型不支持" in exc.value.message_dict["file"][0]
    assert not DepartmentScreening.objects.exists()


def test_screening_page_lists_departments_not_reported_R_DISC_07(county, personas, login):
    services.submit_screening(personas["department"], county["county"], SCREEN, today=DAY)
    body = login(personas["township_officer"]).get("/visits/screenings/?year=2026&quarter=4").content.decode()
    assert "未报送的部门（8/9）" in body and "全县医保政策落实" in body
    api = login(personas["county_officer"]).get("/api/screenings?year=2026&quarter=4").json()
    assert len(api["reported"]) == 1 and "医保局" not in api["not_reported"] and len(api["not_reported"]) == 8


def test_the_visit_form_returns_only_to_a_page_of_this_site_R_DISC_05(households, personas, login):
    client = login(personas["grid_worker"])
    h = households["a1"]
    data = {"visited_on": dt.date.today().isoformat(), "mode": "home", "purpose": "routine"}
    r = client.post(f"/visits/household/{h.pk}/new/", {**data, "next": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == "/visits/"
    r = client.post(f"/visits/household/{h.pk}/new/", {**data, "next": "/visits/sweeps/"})
    assert r["Location"] == "/visits/sweeps/"
