"""Assistance over HTTP: departments. Thin: the same scoped getters and service functions as the pages.

The department view (R-AID-08): the measures of the user's department with their households (ID numbers
masked by role), one measure, and the department's answer; the village assistance list (R-AID-06) as
rows. Amounts, months and dates are taken as text so that the service answers bad values with the same
Chinese messages (naming the field) as the pages do.
"""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema

from fangpin.assistance import departments, village_list
from fangpin.audit.context import using_source

router = Router(tags=["帮扶"])

Text = str | int | float | None
PAGE_SIZE = 50


class DepartmentMeasureOut(Schema):
    id: int
    household_id: int
    household_number: str
    township: str
    village: str
    head_name: str
    head_id_number: str
    household_size: int
    category: str
    policy: str
    member_name: str
    department: str
    status: str
    status_label: str
    applied_on: dt.date | None
    answer_due_on: dt.date | None
    overdue: bool
    answered_on: dt.date | None
    amount: str | None
    start_month: str | None
    refusal_reason: str


class DepartmentMeasurePage(Schema):
    page: int
    has_next: bool
    awaiting: int
    overdue: int
    items: list[DepartmentMeasureOut]


class DepartmentParams(Schema):
    status: str = ""
    month: str = ""
    q: str = ""
    department: str = ""
    page: int = 1


class AnswerIn(Schema):
    approved: bool | str | None = None
    reason: str = ""
    amount: Text = None
    start_month: Text = None
    on: Text = None


class AnswerOut(Schema):
    message: str
    measure: DepartmentMeasureOut


class VillageRowOut(Schema):
    household_id: int
    household_number: str
    head_name: str
    household_size: int
    household_type: str
    included_on: str
    risks: str
    measures: str


class VillageListOut(Schema):
    village_id: int
    title: str
    year: int
    columns: list[str]
    note: str
    rows: list[VillageRowOut]


def _out(row: dict) -> dict:
    return {
        "id": row["id"], "household_id": row["household_id"], "household_number": row["household_number"],
        "township": row["township"], "village": row["village"], "head_name": row["head_name"],
        "head_id_number": row["head_id_number"], "household_size": row["size"], "category": row["category"],
        "policy": row["policy"], "member_name": row["member_name"], "department": row["department"],
        "status": row["status"], "status_label": row["status_label"], "applied_on": row["applied_on"],
        "answer_due_on": row["answer_due_on"], "overdue": row["overdue"], "answered_on": row["answered_on"],
        "amount": str(row["amount"]) if row["amount"] is not None else None,
        "start_month": f"{row['start_month']:%Y-%m}" if row["start_month"] else None,
        "refusal_reason": row["refusal_reason"],
    }


@router.get("/assistance/department-measures", response=DepartmentMeasurePage,
            summary="部门帮扶清单：本部门的措施（待答复、逾期在前；证件号码按角色脱敏）")
def list_department_measures(request, params: Query[DepartmentParams]):
    user = request.user
    qs = departments.measures_for_department(user, status=params.status, month=params.month, q=params.q,
                                             department=params.department)
    items, page, has_next = departments.page_of(qs, params.page, PAGE_SIZE)
    counts = departments.counts(user)
    return {"page": page, "has_next": has_next, "awaiting": counts["awaiting"], "overdue": counts["overdue"],
            "items": [_out(r) for r in departments.rows(user, items)]}


@router.get("/assistance/department-measures/{measure_id}", response=DepartmentMeasureOut, summary="部门帮扶清单中的一条措施")
def get_department_measure(request, measure_id: int):
    measure = departments.get_measure_for(request.user, measure_id)
    return _out(departments.rows(request.user, [measure])[0])


@router.post("/assistance/department-measures/{measure_id}/answer", response=AnswerOut,
             summary="部门答复申请（同意：金额、起始月份；不予批准：理由）")
def answer_department_measure(request, measure_id: int, payload: AnswerIn):
    user = request.user
    measure = departments.get_measure_for(user, measure_id)
    with using_source("api", request.path):
        m = departments.answer_application(user, measure, approved=payload.approved, reason=payload.reason,
                                           amount=payload.amount, start_month=payload.start_month, on=payload.on)
    m = departments.get_measure_for(user, m.pk)
    return {"message": departments.answer_message(m), "measure": _out(departments.rows(user, [m])[0])}


@router.get("/assistance/villages/{village_id}/list", response=VillageListOut,
            summary="村帮扶清单（附件2：户主姓名、家庭人口、帮扶户类型、纳入时间、风险、当年享受的帮扶措施）")
def village_assistance_list(request, village_id: int, year: Text = None):
    user = request.user
    village = village_list.get_village_for(user, village_id)
    year = village_list.clean_year(year, default=village_list.local_today().year)
    rows = village_list.village_rows_for(user, village, year)
    return {"village_id": village.pk, "title": village_list.title_for(village), "year": year,
            "columns": list(village_list.COLUMNS), "note": village_list.NOTE,
            "rows": [{"household_id": r.household_id, "household_number": r.number, "head_name": r.head_name,
                      "household_size": r.size, "household_type": r.household_type, "included_on": r.included_on,
                      "risks": r.risks, "measures": r.measures} for r in rows]}
