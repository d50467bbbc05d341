"""The whole assistance capability over the API, as the county uses it (R-AID-01 … R-AID-08, R-ID-07).

Departments submit their lists in the 000 附件1 layout (the seed's own sample row among them), the
county office compiles and publishes the catalogue; a household is filed by the identification
procedure and gets a draft plan; the township names its contact, reads the proposals with their
reasons, builds and submits the plan; the county approves it; a department answers the application;
the township records the measures carried out within their clocks and their entry into the national
system; the review marks developmental assistance; the village list in the 附件2 layout shows the
household and this year's measures. Every step goes through the HTTP API with the acting person's
session, as a phone or a page would.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import xlsxwriter

from fangpin.accounts.roles import Role
from fangpin.assistance.models import ContactAssignment, Measure, MeasureStatus, Plan, PlanStatus
from fangpin.cases import services as case_services
from fangpin.profiles.services import working_calendar
from fangpin.registry.models import IncomeRecord
from tests.cases.conftest import add_income, advance, application
from tests.factories import user

pytestmark = pytest.mark.django_db

HEADER = ["帮扶类型", "帮扶政策", "帮扶政策具体内容", "适用人群", "适用人群条件", "申报程序（相关资料）", "部门、联系人及电话"]
# The sample row of 000 附件1 exactly as the seed document prints it.
SEED_ROW = ["就业帮扶", "1、以工代赈", "1、引导有劳动能力的监测对象参与以工代赈项目建设，提高收入；",
            "建档立卡贫困人口、易返贫致贫户、其他低收入人群", "有劳动能力和就业意愿的因疫情不能外出务工人员", "",
            "部门：发改局 联系人：X 办公电话：X 手机号码：X"]
YIBAO_ROW = ["健康帮扶", "1、医疗救助", "对监测对象个人自付的合规医疗费用按规定比例给予救助", "监测对象、脱贫人口",
             "因病致贫返贫风险的家庭成员", "本人申请，乡镇审核后报县医保局审批（身份证、住院发票、费用清单）",
             "部门：医保局 联系人：钱晓梅 办公电话：0561-6098765 手机号码：13905610123"]


def _workbook(tmp_path, name: str, rows: list[list[str]]):
    path = tmp_path / name
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_string(0, 0, "2026年濉溪县（部门）防返贫帮扶政策清单")
    for c, h in enumerate(HEADER):
        ws.write_string(2, c, h)
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row):
            if value:
                ws.write_string(r, c, value)
    wb.close()
    return path


def _as(client, person):
    client.force_login(person)
    return client


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def _submit_department_list(client, officer, path) -> None:
    c = _as(client, officer)
    lst = _ok(c.post("/api/assistance/policy-lists", {"year": "2026"}, content_type="application/json"), 201)["list"]
    with open(path, "rb") as fh:
        preview = _ok(c.post("/api/assistance/policy-imports", {"list_id": lst["id"], "file": fh}))
    assert preview["can_apply"], preview["issues"]
    _ok(c.post("/api/assistance/policy-imports/confirm",
               {"list_id": lst["id"], "token": preview["token"], "digest": preview["digest"]},
               content_type="application/json"))
    _ok(c.post(f"/api/assistance/policy-lists/{lst['id']}/submit"))


def test_a_filed_household_gets_contact_plan_answer_measures_and_a_village_list_R_AID_01_to_R_AID_08_R_ID_07(
        client, county, households, personas, tmp_path):
    fgj = user("fagaiju", Role.DEPARTMENT_OFFICER, county["county"], display_name="发改局李科长", department="发改局")
    yibao = personas["department"]  # 医保局
    township, county_office = personas["township_officer"], personas["county_officer"]
    contact = personas["contact"]

    # R-AID-01: two departments submit their lists (the seed's sample row among them); the county publishes.
    _submit_department_list(client, fgj, _workbook(tmp_path, "发改局.xlsx", [SEED_ROW]))
    _submit_department_list(client, yibao, _workbook(tmp_path, "医保局.xlsx", [YIBAO_ROW]))
    c = _as(client, county_office)
    draft = _ok(c.post("/api/assistance/policy-catalogues/compile", {"year": "2026"},
                       content_type="application/json"), 201)["list"]
    published = _ok(c.post(f"/api/assistance/policy-lists/{draft['id']}/publish"))["list"]
    assert published["status"] == "published" and published["version"] == 1 and published["policies"] == 2
    # R-AID-02: the public page shows the catalogue without a login.
    client.logout()
    public = client.get(f"/assistance/policies/public/{county['county'].code}/")
    assert public.status_code == 200 and "以工代赈" in public.content.decode()
    assert "13905610123" not in public.content.decode()  # an officer's mobile is never public

    # R-ID-07: the identification procedure files the household; its plan starts as a draft.
    h = households["a1"]
    add_income(h, 2025, 9000)
    add_income(h, 2026, 5200, purpose="identification")
    case = case_services.open_case(personas["cadre_a"], h, application=application(h), today=dt.date(2026, 5, 11)).case
    case, filed_on = advance(case, personas, until="__filed__")
    plan = Plan.objects.get(household=h)
    assert plan.status == PlanStatus.DRAFT and plan.started_on == filed_on
    assert plan.due_on == working_calendar().add_working_days(filed_on, 5).due

    # R-AID-05: the township names the contact, at most two households each.
    c = _as(client, township)
    answer = _ok(c.post(f"/api/assistance/households/{h.pk}/contact",
                        {"contact_id": str(contact.pk), "assigned_on": filed_on.isoformat()},
                        content_type="application/json"))
    assert answer["changed"] and answer["contact"]["contact_id"] == contact.pk
    assert ContactAssignment.objects.get(household=h, ended_on__isnull=True).contact == contact

    # R-AID-03: proposals from the published catalogue, each saying which conditions matched, with values.
    proposals = _ok(c.get(f"/api/assistance/households/{h.pk}/proposals"))
    by_name = {p["name"]: p for p in proposals}
    assert set(by_name) == {"以工代赈", "医疗救助"}
    assert all(p["matched"] or p["unmatched"] for p in proposals)
    assert all(m["condition"] and m["value"] for p in proposals for m in p["matched"])

    # Build, submit; the county approves (R-AID-05: approval by the county).
    plan_out = _ok(c.get(f"/api/assistance/households/{h.pk}/plan"))
    for name in ("以工代赈", "医疗救助"):
        plan_out = _ok(c.post(f"/api/assistance/plans/{plan.pk}/measures",
                              {"policy_id": str(by_name[name]["policy_id"]), "version": str(plan_out["version"])},
                              content_type="application/json"))["plan"]
    assert plan_out["catalogue_id"] == published["id"]  # the plan keeps the version it chose from
    # Approving before submission is refused and changes nothing.
    refused = _as(client, county_office).post(f"/api/assistance/plans/{plan.pk}/approve",
                                              {"version": str(plan_out["version"])}, content_type="application/json")
    assert refused.status_code == 422 and Plan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT
    assert "尚未报县审定" in refused.json()["detail"]
    plan_out = _ok(_as(client, township).post(f"/api/assistance/plans/{plan.pk}/submit",
                                              {"version": str(plan_out["version"])}, content_type="application/json"))["plan"]
    approved_on = filed_on + dt.timedelta(days=3)
    plan_out = _ok(_as(client, county_office).post(
        f"/api/assistance/plans/{plan.pk}/approve",
        {"version": str(plan_out["version"]), "approved_on": approved_on.isoformat()},
        content_type="application/json"))["plan"]
    assert plan_out["status"] == "approved"
    measures = {m["content"]: m for m in plan_out["measures"]}
    township_measure, department_measure = measures["以工代赈"], measures["医疗救助"]
    assert department_measure["handler"] == "department" and department_measure["department"] == "医保局"

    # The township sends the application; the 医保局 answers; another department cannot.
    applied_on = approved_on + dt.timedelta(days=1)
    _ok(_as(client, township).post(f"/api/assistance/plan-measures/{department_measure['id']}/apply",
                                   {"applied_on": applied_on.isoformat()}, content_type="application/json"))
    other = _as(client, fgj).post(f"/api/assistance/department-measures/{department_measure['id']}/answer",
                                  {"approved": True, "amount": "1200", "start_month": "2026-06"},
                                  content_type="application/json")
    assert other.status_code in (403, 404)
    assert Measure.objects.get(pk=department_measure["id"]).status == MeasureStatus.APPLIED
    listed = _ok(_as(client, yibao).get("/api/assistance/department-measures?status=awaiting"))
    assert [m["id"] for m in listed["items"]] == [department_measure["id"]]
    assert "*" in listed["items"][0]["head_id_number"]  # masked for the department's role
    answered = _ok(client.post(f"/api/assistance/department-measures/{department_measure['id']}/answer",
                               {"approved": True, "amount": "1200", "start_month": "2026-06",
                                "on": (applied_on + dt.timedelta(days=2)).isoformat()},
                               content_type="application/json"))
    assert answered["measure"]["status"] == "approved" and answered["measure"]["amount"] == "1200.00"

    # Carried out within their clocks; entered in the national system; the review finds developmental help.
    incomes = IncomeRecord.objects.filter(household=h).count()
    c = _as(client, township)
    for m in (township_measure, department_measure):
        _ok(c.post(f"/api/assistance/plan-measures/{m['id']}/carry-out",
                   {"carried_out_on": (applied_on + dt.timedelta(days=3)).isoformat()}, content_type="application/json"))
    in_place = Measure.objects.filter(plan=plan, status=MeasureStatus.IN_PLACE)
    assert in_place.count() == 2
    assert all(m.carried_out_on <= (m.due_on or m.answer_due_on or m.carried_out_on) for m in in_place
               if m.handler == "township")
    assert IncomeRecord.objects.filter(household=h).count() == incomes  # R-AID-05 item 8: no invented income
    plan_out = _ok(c.get(f"/api/assistance/households/{h.pk}/plan"))
    plan_out = _ok(c.post(f"/api/assistance/plans/{plan.pk}/entry",
                          {"entered_on": (applied_on + dt.timedelta(days=4)).isoformat(),
                           "version": str(plan_out["version"])}, content_type="application/json"))["plan"]
    assert plan_out["entered_on"]
    plan_out = _ok(c.post(f"/api/assistance/plans/{plan.pk}/developmental",
                          {"found": True, "note": "以工代赈项目务工已落实", "version": str(plan_out["version"])},
                          content_type="application/json"))["plan"]
    assert plan_out["developmental_marked"] and plan_out["developmental_reviewed_on"]

    # R-AID-06: the village list (附件2) shows the household with this year's measures, and exports.
    village = county["va"]
    c = _as(client, personas["cadre_a"])
    vlist = _ok(c.get(f"/api/assistance/villages/{village.pk}/list?year=2026"))
    assert vlist["columns"] == ["户主姓名", "家庭人口", "帮扶户类型", "纳入时间", "返贫/致贫风险", "户内享受帮扶措施"]
    (row,) = [r for r in vlist["rows"] if r["household_id"] == h.pk]
    assert "以工代赈" in row["measures"] and "医疗救助" in row["measures"]
    assert row["included_on"].startswith(str(filed_on.year))
    assert c.get(f"/assistance/departments/lists/villages/{village.pk}/?year=2026").status_code == 200
    exported = c.get(f"/assistance/departments/lists/villages/{village.pk}/list.xlsx?year=2026")
    assert exported.status_code == 200
    body = b"".join(exported.streaming_content) if exported.streaming else exported.content
    values = list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(values) if r and r[0] == "户主姓名")
    assert list(values[header][:6]) == vlist["columns"]
    assert any(r[0] == "蔡德胜" for r in values[header + 1:])
