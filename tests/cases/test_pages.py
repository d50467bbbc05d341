"""Pages: a township officer takes a household from application to county filing in the browser
flow (server-rendered forms), the case timeline, printable notices and the public status page."""

import datetime as dt
import re

from fangpin.cases.models import Case, CaseStatus, Notice
from fangpin.registry.models import MonitoringStatus

from .conftest import DAY


def _post(client, url, data, follow=True):
    return client.post(url, data, follow=follow)


def _case(household):
    return Case.objects.get(household=household)


def test_township_officer_takes_a_household_from_application_to_county_filing_R_ID_03(
        login, personas, applicant_household, clock):
    client = login(personas["township_officer"])
    h = applicant_household
    r = client.get("/cases/new/", {"q": "蔡德胜"})
    assert "受理申请" in r.content.decode()
    r = client.get("/cases/new/", {"household": h.pk})
    assert r.status_code == 200 and "承诺授权书" in r.content.decode()
    head = h.members.get(relation="户主")
    r = _post(client, f"/cases/new/?household={h.pk}", {
        "household": h.pk, "source": "application", "with_application": "on", "applicant_id": head.pk,
        "application_date": DAY.isoformat(), "reasons": "户主住院，收入骤减", "risk_types": ["因病"],
        "category": "unstable_formerly_poor", "consent_signed": "on", "consent_date": DAY.isoformat(),
        "long_resident": "1", "medical_expense": "15000",
    })
    body = r.content.decode()
    case = _case(h)
    assert f"已受理，受理编号 {case.reference}" in body
    assert "村初核" in body and "办理：村初核" in body
    base = f"/cases/{case.pk}"
    r = _post(client, f"{base}/step/verification/", {
        "version": case.version, "verifiers": "孙站长 乡镇\n张队员 驻村工作队", "visit_date": DAY.isoformat(),
        "findings": "入户核实属实", "outcome": "pass"})
    assert "已完成“村初核（核查组入户核查）”" in r.content.decode()
    case.refresh_from_db()
    r = _post(client, f"{base}/step/deliberation/", {
        "version": case.version, "meeting_date": DAY.isoformat(), "expected_villager_representatives": 9,
        "present_villager_representatives": 7, "expected_party_members": 3, "present_party_members": 3,
        "expected_village_cadres": 3, "present_village_cadres": 2, "approvals": 10})
    assert "评议通过" in r.content.decode()
    case.refresh_from_db()
    data = {"version": case.version, "checked_on": DAY.isoformat(), "source": "manual"}
    for code in ("urban_housing", "vehicle", "large_machinery", "business", "public_payroll"):
        data[f"result_{code}"] = "none"
    data["result_vehicle"] = "found"
    data["detail_vehicle"] = "户主名下有一辆2012年购置的农用三轮车"
    data["conclusion"] = "农用车辆不影响识别，提交评议参考"
    r = _post(client, f"{base}/step/cross_check/", data)
    assert "不自动否决" in r.content.decode()
    case.refresh_from_db()
    assert case.current_step == "village_decision"
    r = _post(client, f"{base}/step/village_decision/", {
        "version": case.version, "meeting_date": DAY.isoformat(), "decision": "approve", "category": "unstable_formerly_poor"})
    assert "请发布村级公示" in r.content.decode()
    r = client.get("/cases/notices/new/?step=village_decision")
    assert case.reference in r.content.decode()
    r = _post(client, "/cases/notices/new/", {"step": "village_decision", "starts_on": DAY.isoformat(), "cases": [case.pk]})
    notice = Notice.objects.get()
    assert "请打印张贴" in r.content.decode()
    r = _post(client, f"/cases/notices/{notice.pk}/", {})
    assert "公示期未满" in r.content.decode()
    clock.advance(7)
    r = _post(client, f"/cases/notices/{notice.pk}/", {})
    assert "1户进入下一步" in r.content.decode()
    case.refresh_from_db()
    assert case.current_step == "township_approval"
    r = _post(client, f"{base}/step/township_approval/", {
        "version": case.version, "meeting_date": clock.day.isoformat(), "decision": "approve",
        "category": "unstable_formerly_poor"})
    _post(client, "/cases/notices/new/", {"step": "township_approval", "starts_on": clock.day.isoformat(), "cases": [case.pk]})
    township_notice = Notice.objects.get(kind="township_notice")
    clock.advance(7)
    _post(client, f"/cases/notices/{township_notice.pk}/", {})
    case.refresh_from_db()
    assert case.current_step == "county_filing"
    # The township officer cannot file at county level: the county officer does.
    assert client.get(f"{base}/step/county_filing/").status_code == 403
    county = login(personas["county_officer"])
    r = _post(county, f"{base}/step/county_filing/", {
        "version": case.version, "meeting_date": clock.day.isoformat(), "decision": "approve",
        "category": "unstable_formerly_poor"})
    assert "已备案纳入监测对象" in r.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.FILED
    h.refresh_from_db()
    assert (h.monitoring_status, h.included_on, h.risk_types) == (MonitoringStatus.MONITORED, clock.day, ["因病"])
    r = _post(county, "/cases/notices/new/", {"step": "county_filing", "starts_on": clock.day.isoformat(), "cases": [case.pk]})
    assert "已发布县级公告" in r.content.decode()
    township = login(personas["township_officer"])
    r = _post(township, f"{base}/system-entry/", {"entered_on": clock.day.isoformat()})
    assert "已登记录入国家系统" in r.content.decode() and "按时" in r.content.decode()
    page = township.get(base + "/").content.decode()
    for name in ("户申请", "村初核", "组评议", "信息比对", "村研究确定并公示", "镇审定公示", "县备案并公告"):
        assert name in page
    assert "孙站长" in page and "周局长" in page


def test_a_bad_step_form_keeps_the_input_and_saves_nothing(login, personas, opened, clock):
    client = login(personas["cadre_a"])
    r = client.post(f"/cases/{opened.pk}/step/verification/", {
        "version": opened.version, "verifiers": "蔡书记 村两委", "visit_date": DAY.isoformat(),
        "findings": "只去了一个人", "outcome": "pass"})
    body = r.content.decode()
    assert r.status_code == 200
    assert "核查组成员不得少于2人" in body and "只去了一个人" in body
    opened.refresh_from_db()
    assert opened.current_step == "verification" and opened.version == 1


def test_case_pages_are_scoped_R_SEC_01(login, personas, opened, clock):
    assert login(personas["cadre_b"]).get(f"/cases/{opened.pk}/").status_code == 404
    assert login(personas["cadre_a"]).get(f"/cases/{opened.pk}/").status_code == 200
    listing = login(personas["cadre_b"]).get("/cases/").content.decode()
    assert opened.reference not in listing


def test_home_page_lists_my_pending_actions_with_due_dates(login, personas, opened, clock):
    body = login(personas["cadre_a"]).get("/").content.decode()
    assert f"{opened.reference} 户{opened.household.number}：村初核" in body
    assert "2026年5月14日" in body  # 3 working days after 2026-05-11
    assert "剩余3个工作日" in body
    other = login(personas["county_officer"]).get("/").content.decode()
    assert "村初核" not in other  # not the county officer's step


def test_printable_notice_leaves_out_personal_data_R_ID_06_R_SEC_03(login, personas, opened, clock):
    from .conftest import advance
    case, _ = advance(opened, personas, until="township_approval")
    notice = Notice.objects.get(kind="village_notice")
    body = login(personas["cadre_a"]).get(f"/cases/notices/{notice.pk}/print/").content.decode()
    assert "蔡德胜" in body and "公示期" in body and "2026年5月11日至2026年5月17日" in body
    for m in case.household.members.all():
        assert m.id_number not in body
        assert m.name not in body or m.relation == "户主"  # only the head of household is named
    assert "****" not in body  # not even masked ID numbers or phones
    assert case.household.phone not in body and "13855612345" not in body
    assert "住院" not in body  # application reasons (health details) stay off the notice
    assert not re.search(r"\d{17}[\dX]", body)


def test_public_status_shows_status_and_reason_only_R_ID_04(client, personas, opened, clock):
    from fangpin.cases import services

    services.reject_case(personas["cadre_a"], opened, reason="家庭年人均纯收入高于监测线", today=DAY)
    r = client.post("/cases/status/", {"reference": opened.reference, "check_code": opened.check_code})
    body = r.content.decode()
    assert "不予纳入" in body and "家庭年人均纯收入高于监测线" in body
    assert "蔡德胜" not in body and opened.household.number not in body
    r = client.post("/cases/status/", {"reference": opened.reference, "check_code": "ZZZZ"})
    assert "查询码不正确" in r.content.decode()
    for _ in range(10):
        r = client.post("/cases/status/", {"reference": opened.reference, "check_code": "ZZZZ"})
    assert "查询过于频繁" in r.content.decode()


def test_receipt_procedure_overdue_and_notice_pages_render(login, personas, opened, clock):
    client = login(personas["township_officer"])
    assert opened.check_code in client.get(f"/cases/{opened.pk}/receipt/").content.decode()
    body = client.get("/cases/procedure/").content.decode()
    assert "村级公示不少于7天" in body and "乡镇公示不少于7天" in body
    clock.day = dt.date(2026, 5, 20)
    body = client.get("/cases/overdue/").content.decode()
    assert opened.reference in body and "村级 · 濉溪县濉溪镇蔡桥村" in body
    assert client.get("/cases/notices/").status_code == 200
    assert client.get("/cases/?overdue=1").status_code == 200
