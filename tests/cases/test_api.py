"""The API runs the same procedure through the same service functions, with the same refusals."""

import datetime as dt

from fangpin.cases.models import Case

from .conftest import DAY

J = "application/json"


def _app(h):
    head = h.members.get(relation="户主")
    return {"applicant_id": head.pk, "application_date": DAY.isoformat(), "reasons": "因病收入骤减",
            "risk_types": ["因病"], "category": "unstable_formerly_poor", "consent_signed": True,
            "consent_date": DAY.isoformat(), "long_resident": True, "medical_expense": "12000"}


def test_the_whole_procedure_over_the_api_R_ID_03(login, personas, applicant_household, clock):
    township = login(personas["township_officer"])
    r = township.post("/api/cases", {"household_id": applicant_household.pk, "application": _app(applicant_household)},
                      content_type=J)
    assert r.status_code == 201, r.content
    case = r.json()["case"]
    cid = case["id"]
    assert case["current_step"] == "verification" and case["reference"].startswith("SB-340621-2026-")
    r = township.post(f"/api/cases/{cid}/verification", {
        "version": case["version"], "verifiers": [{"name": "孙站长", "unit": "乡镇"}, {"name": "张队员", "unit": "工作队"}],
        "visit_date": DAY.isoformat(), "findings": "属实", "outcome": "pass"}, content_type=J)
    assert r.status_code == 200 and r.json()["case"]["current_step"] == "deliberation"
    attendance = {"villager_representatives": {"expected": 9, "present": 6},
                  "party_members": {"expected": 3, "present": 3}, "village_cadres": {"expected": 3, "present": 1}}
    r = township.post(f"/api/cases/{cid}/deliberation", {"meeting_date": DAY.isoformat(), "attendance": attendance,
                                                          "approvals": 6}, content_type=J)
    assert r.json()["case"]["current_step"] == "cross_check", r.content
    items = {c: {"result": "none"} for c in ("urban_housing", "vehicle", "large_machinery", "business", "public_payroll")}
    r = township.post(f"/api/cases/{cid}/cross-check", {"checked_on": DAY.isoformat(), "items": items}, content_type=J)
    assert r.json()["case"]["current_step"] == "village_decision"
    r = township.post(f"/api/cases/{cid}/decision", {"step": "village_decision", "meeting_date": DAY.isoformat(),
                                                      "decision": "approve"}, content_type=J)
    assert r.json()["case"]["phase"] == "decided"
    r = township.post("/api/notices", {"step": "village_decision", "case_ids": [cid], "starts_on": DAY.isoformat()},
                      content_type=J)
    assert r.status_code == 201
    notice = r.json()
    assert notice["days"] == 7 and notice["ends_on"] == "2026-05-17"
    r = township.post(f"/api/notices/{notice['id']}/close", content_type=J)
    assert r.status_code == 422 and "公示期未满" in r.json()["detail"]
    clock.advance(7)
    r = township.post(f"/api/notices/{notice['id']}/close", content_type=J)
    assert r.json()["completed"] == [case["reference"]]
    r = township.post(f"/api/cases/{cid}/decision", {"step": "township_approval", "meeting_date": clock.day.isoformat(),
                                                      "decision": "approve"}, content_type=J)
    r = township.post("/api/notices", {"step": "township_approval", "case_ids": [cid],
                                       "starts_on": clock.day.isoformat()}, content_type=J)
    clock.advance(7)
    township.post(f"/api/notices/{r.json()['id']}/close", content_type=J)
    r = township.post(f"/api/cases/{cid}/decision", {"step": "county_filing", "meeting_date": clock.day.isoformat(),
                                                      "decision": "approve"}, content_type=J)
    assert r.status_code == 403 and "只能由县乡村振兴局办理" in r.json()["detail"]
    county = login(personas["county_officer"])
    r = county.post(f"/api/cases/{cid}/decision", {"step": "county_filing", "meeting_date": clock.day.isoformat(),
                                                    "decision": "approve"}, content_type=J)
    assert r.json()["case"]["status"] == "filed"
    detail = county.get(f"/api/cases/{cid}").json()
    assert [s["key"] for s in detail["steps"]] == ["application", "verification", "deliberation", "cross_check",
                                                   "village_decision", "township_approval", "county_filing"]
    assert detail["steps"][4]["notice_number"] == "GS-340621100201-2026-001"
    r = county.post("/api/notices", {"step": "county_filing", "case_ids": [cid], "starts_on": clock.day.isoformat()},
                    content_type=J)
    assert r.json()["kind"] == "county_announcement"
    r = township.post(f"/api/cases/{cid}/system-entry", {"entered_on": clock.day.isoformat()}, content_type=J)
    assert r.json()["case"]["system_entered_on"] == clock.day.isoformat()


def test_api_refusals_use_the_same_messages_and_codes(login, personas, opened, clock):
    cid = opened.pk
    cadre = login(personas["cadre_a"])
    r = cadre.post(f"/api/cases/{cid}/decision", {"step": "village_decision", "meeting_date": DAY.isoformat(),
                                                   "decision": "approve"}, content_type=J)
    assert r.status_code == 422 and "不能跳过步骤" in r.json()["detail"]
    r = cadre.post(f"/api/cases/{cid}/deliberation", {"meeting_date": DAY.isoformat()}, content_type=J)
    assert r.status_code == 422
    r = cadre.post(f"/api/cases/{cid}/verification", {"verifiers": [{"name": "蔡书记"}], "visit_date": DAY.isoformat(),
                                                      "findings": "x", "outcome": "pass"}, content_type=J)
    assert r.status_code == 422 and "不得少于2人" in r.json()["errors"]["verifiers"][0]
    r = cadre.post(f"/api/cases/{cid}/verification", {"version": 99}, content_type=J)
    assert r.status_code == 422 and "重复提交" in r.json()["detail"]
    assert login(personas["cadre_b"]).get(f"/api/cases/{cid}").status_code == 404
    r = login(personas["cadre_b"]).post(f"/api/cases/{cid}/reject", {"reason": "x"}, content_type=J)
    assert r.status_code == 404
    r = login(personas["supervisor"]).post(f"/api/cases/{cid}/reject", {"reason": "x"}, content_type=J)
    assert r.status_code == 403
    opened.refresh_from_db()
    assert opened.version == 1 and opened.current_step == "verification"
    listing = login(personas["cadre_a"]).get("/api/cases").json()
    assert listing["total"] == 1 and listing["items"][0]["reference"] == opened.reference
    assert login(personas["cadre_b"]).get("/api/cases").json()["total"] == 0
    pending = login(personas["cadre_a"]).get("/api/cases/pending").json()
    assert pending[0]["title"].endswith("村初核（核查组入户核查）")


def test_public_status_api_needs_the_check_code_and_shows_no_personal_data(client, personas, opened, clock):
    r = client.get("/api/cases/status", {"reference": opened.reference, "check_code": opened.check_code})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "办理中" and body["current_step"] == "村初核（核查组入户核查）"
    assert set(body) == {"reference", "procedure", "status", "opened_on", "current_step", "rejection_reason", "closed_on"}
    assert client.get("/api/cases/status", {"reference": opened.reference, "check_code": "AAAA"}).status_code == 404
    assert client.get(f"/api/cases/{opened.pk}").status_code == 401
    assert Case.objects.count() == 1 and dt.date(2026, 5, 11) == DAY


def test_nul_characters_never_reach_the_database(login, personas, opened, clock):
    """PostgreSQL refuses NUL in text; filters and free text drop it instead of failing."""
    cadre = login(personas["cadre_a"])
    assert cadre.get("/api/cases", {"q": "SB\x00", "status": "open\x00"}).status_code == 200
    assert cadre.get("/cases/", {"q": "\x00"}).status_code == 200
    r = cadre.post(f"/api/cases/{opened.pk}/reject", {"reason": "家庭收入\x00较高"}, content_type=J)
    assert r.status_code == 200
    opened.refresh_from_db()
    assert opened.rejection_reason == "家庭收入较高"
