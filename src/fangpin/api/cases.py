"""Identification cases over HTTP: the same scoped getters and service functions as the pages.

Dates and counts are taken as text so that the service answers bad values with the same Chinese
messages (naming the field) as the pages do.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from ninja import Query, Router, Schema, Status

from fangpin.audit.context import using_source
from fangpin.cases import selectors, services
from fangpin.cases.models import Case, CaseStatus, Notice
from fangpin.profiles.services import today
from fangpin.registry.models import Household

router = Router(tags=["识别程序"])

Text = str | int | None


class StepOut(Schema):
    key: str
    name: str
    kind: str
    attempt: int
    status: str
    phase: str
    started_on: dt.date
    due_on: dt.date | None
    due_warnings: list[str]
    completed_on: dt.date | None
    actor_name: str
    actor_role: str
    outcome: str
    payload: dict
    params: dict
    notice_number: str


class CaseOut(Schema):
    id: int
    reference: str
    procedure: str
    procedure_name: str
    profile: str
    household_id: int
    household_number: str
    division_code: str
    source: str
    lead_ref: str
    status: str
    status_label: str
    current_step: str
    current_step_name: str
    phase: str
    current_due_on: dt.date | None
    overdue: bool
    overall_due_on: dt.date | None
    discovered_on: dt.date
    opened_on: dt.date
    applicant_name: str
    application_date: dt.date | None
    risk_types: list[str]
    category: str
    rejection_reason: str
    filed_on: dt.date | None
    system_entry_due_on: dt.date | None
    system_entered_on: dt.date | None
    announced: bool
    version: int
    eligibility: dict
    eligibility_params: dict


class CaseDetailOut(CaseOut):
    steps: list[StepOut]


class ActionOut(Schema):
    message: str
    case: CaseOut


class CasePage(Schema):
    total: int
    page: int
    pages: int
    items: list[CaseOut]


class CaseListParams(Schema):
    status: str = ""
    step: str = ""
    overdue: bool = False
    q: str = ""
    page: int = 1


class ApplicationIn(Schema):
    applicant_id: int | None = None
    application_date: Text = None
    reasons: str = ""
    risk_types: list[str] = []
    category: str = ""
    consent_signed: bool = False
    consent_date: Text = None
    long_resident: bool | None = None
    medical_expense: Text = None
    other_rigid_expense: Text = None
    can_repair_house: bool | None = None


class OpenIn(Schema):
    household_id: int
    source: str = "application"
    lead_ref: str = ""
    lead_note: str = ""
    discovered_on: Text = None
    application: ApplicationIn | None = None


class Verifier(Schema):
    name: str
    unit: str = ""


class VerificationIn(Schema):
    version: int | None = None
    verifiers: list[Verifier] = []
    visit_date: Text = None
    findings: str = ""
    outcome: str = ""
    reason: str = ""
    override_note: str = ""
    long_resident: bool | None = None
    can_repair_house: bool | None = None
    medical_expense: Text = None
    other_rigid_expense: Text = None


class Attendance(Schema):
    expected: Text = None
    present: Text = None


class DeliberationIn(Schema):
    version: int | None = None
    meeting_date: Text = None
    group_name: str = ""
    attendance: dict[str, Attendance] = {}
    approvals: Text = None
    attendees: str = ""
    minutes: str = ""


class CrossCheckItem(Schema):
    result: str = ""
    detail: str = ""


class CrossCheckIn(Schema):
    version: int | None = None
    checked_on: Text = None
    items: dict[str, CrossCheckItem] = {}
    source: str = "manual"
    conclusion: str = ""


class DecisionIn(Schema):
    version: int | None = None
    step: str
    meeting_date: Text = None
    decision: str = ""
    reason: str = ""
    category: str = ""
    note: str = ""


class ApplicationStepIn(ApplicationIn):
    version: int | None = None


class ReasonIn(Schema):
    reason: str = ""
    version: int | None = None


class ObjectionIn(Schema):
    content: str = ""
    received_on: Text = None
    raised_by: str = ""


class ResolveIn(Schema):
    outcome: str = ""
    resolution: str = ""


class EntryIn(Schema):
    entered_on: Text = None


class NoticeIn(Schema):
    step: str
    case_ids: list[int]
    starts_on: Text = None


class NoticeEntryOut(Schema):
    position: int
    case_id: int
    reference: str
    withdrawn: bool


class NoticeOut(Schema):
    id: int
    number: str
    kind: str
    kind_label: str
    title: str
    division_code: str
    days: int
    starts_on: dt.date
    ends_on: dt.date
    status: str
    entries: list[NoticeEntryOut]


class CloseOut(Schema):
    completed: list[str]
    blocked: list[str]


class PendingOut(Schema):
    title: str
    url: str
    due: dt.date | None
    overdue: bool
    remaining: str


class PublicStatusOut(Schema):
    reference: str
    procedure: str
    status: str
    opened_on: dt.date
    current_step: str
    rejection_reason: str
    closed_on: dt.date | None


class ErrorOut(Schema):
    detail: str


def _case_out(case: Case, day: dt.date | None = None) -> dict:
    day = day or today()
    step = case.current_step_def
    return {
        **{f: getattr(case, f) for f in (
            "id", "reference", "procedure", "procedure_name", "household_id", "division_code", "source", "lead_ref",
            "status", "current_step", "phase", "current_due_on", "overall_due_on", "discovered_on", "opened_on",
            "applicant_name", "application_date", "risk_types", "category", "rejection_reason", "filed_on",
            "system_entry_due_on", "system_entered_on", "announced", "version", "eligibility", "eligibility_params")},
        "profile": f"{case.profile_key} v{case.profile_version}",
        "household_number": case.household.number,
        "status_label": case.get_status_display(),
        "current_step_name": step.name if step else "",
        "overdue": bool(case.current_due_on and case.current_due_on < day),
    }


def _detail_out(case: Case) -> dict:
    steps = [{
        **{f: getattr(r, f) for f in ("key", "name", "kind", "attempt", "status", "phase", "started_on", "due_on",
                                      "due_warnings", "completed_on", "actor_name", "actor_role", "outcome", "payload",
                                      "params")},
        "notice_number": r.notice.number if r.notice_id else "",
    } for r in selectors.timeline(case)]
    return {**_case_out(case), "steps": steps}


def _write(request):
    return using_source("api", request.path)


def _action(result) -> dict:
    case = Case.objects.select_related("household").get(pk=result.case.pk)
    return {"message": result.message, "case": _case_out(case)}


def _notice_out(user, notice: Notice) -> dict:
    entries = [{"position": e.position, "case_id": e.case_id, "reference": e.case.reference, "withdrawn": e.withdrawn}
               for e in selectors.notice_entries_for(user, notice)]
    return {**{f: getattr(notice, f) for f in ("id", "number", "kind", "title", "division_code", "days", "starts_on",
                                               "ends_on", "status")},
            "kind_label": notice.get_kind_display(), "entries": entries}


@router.get("/cases", response=CasePage, summary="识别案件列表（管辖范围内）")
def list_cases(request, params: Query[CaseListParams]):
    day = today()
    params = CaseListParams(**services.scrub(params.dict()))
    qs = selectors.cases_visible_to(request.user).select_related("household")
    if params.status:
        qs = qs.filter(status=params.status)
    if params.step:
        qs = qs.filter(current_step=params.step)
    if params.overdue:
        qs = qs.filter(status=CaseStatus.OPEN, current_due_on__lt=day)
    if params.q:
        qs = qs.filter(reference__icontains=params.q.strip())
    total = qs.count()
    size = 50
    pages = max(1, (total + size - 1) // size)
    page = min(max(1, params.page), pages)
    items = [_case_out(c, day) for c in qs.order_by("-opened_on", "-id")[(page - 1) * size: page * size]]
    return {"total": total, "page": page, "pages": pages, "items": items}


@router.get("/cases/pending", response=list[PendingOut], summary="我的待办（按角色和管辖范围）")
def my_pending(request):
    return selectors.pending_for(request.user, today())


@router.get("/cases/status", response={200: PublicStatusOut, 404: ErrorOut, 429: ErrorOut}, auth=None,
            summary="申请人凭受理编号和查询码查询办理状态（无需登录，不含个人信息）")
def public_status(request, reference: str, check_code: str):
    key = f"case-status:{request.META.get('REMOTE_ADDR', '')}"
    count = cache.get(key, 0)
    if count >= 10:
        return Status(429, {"detail": "查询过于频繁，请10分钟后再试"})
    cache.set(key, count + 1, 600)
    status = selectors.public_status_for(reference, check_code)
    if status is None:
        return Status(404, {"detail": "未找到该受理编号，或查询码不正确"})
    return Status(200, status)


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="案件详情与办理进度")
def get_case(request, case_id: int):
    return _detail_out(selectors.get_case_for(request.user, case_id))


@router.post("/cases", response={201: ActionOut}, summary="受理识别申请（农户申请或排查预警线索）")
def open_case(request, payload: OpenIn):
    from fangpin.registry.selectors import get_household_for

    household: Household = get_household_for(request.user, payload.household_id)
    application = payload.application.dict() if payload.application else None
    with _write(request):
        result = services.open_case(request.user, household, source=payload.source, application=application,
                                    lead_ref=payload.lead_ref, lead_note=payload.lead_note,
                                    discovered_on=payload.discovered_on)
    return Status(201, _action(result))


def _act(request, case_id: int, step_key: str, data: dict, version):
    case = selectors.get_case_for(request.user, case_id)
    with _write(request):
        result = services.act(request.user, case, step_key, data, expected_version=version)
    return _action(result)


@router.post("/cases/{case_id}/application", response=ActionOut, summary="户申请（由线索发起的案件）")
def application_step(request, case_id: int, payload: ApplicationStepIn):
    data = payload.dict()
    version = data.pop("version")
    return _act(request, case_id, "application", data, version)


@router.post("/cases/{case_id}/verification", response=ActionOut, summary="入户核实（核查组不少于2人）")
def verification_step(request, case_id: int, payload: VerificationIn):
    data = payload.dict()
    version = data.pop("version")
    return _act(request, case_id, _step_of_kind(request, case_id, "verification"), data, version)


@router.post("/cases/{case_id}/deliberation", response=ActionOut, summary="民主评议（到会与表决人数）")
def deliberation_step(request, case_id: int, payload: DeliberationIn):
    data = payload.dict()
    version = data.pop("version")
    for code, counts in (data.pop("attendance") or {}).items():
        data[f"expected_{code}"] = counts.get("expected")
        data[f"present_{code}"] = counts.get("present")
    return _act(request, case_id, _step_of_kind(request, case_id, "deliberation"), data, version)


@router.post("/cases/{case_id}/cross-check", response=ActionOut, summary="信息比对（证据，不自动否决）")
def cross_check_step(request, case_id: int, payload: CrossCheckIn):
    data = payload.dict()
    version = data.pop("version")
    return _act(request, case_id, _step_of_kind(request, case_id, "cross_check"), data, version)


@router.post("/cases/{case_id}/decision", response=ActionOut, summary="村研究确定／乡镇审定／县级备案")
def decision_step(request, case_id: int, payload: DecisionIn):
    data = payload.dict()
    version = data.pop("version")
    step = data.pop("step")
    return _act(request, case_id, step, data, version)


def _step_of_kind(request, case_id: int, kind: str) -> str:
    case = selectors.get_case_for(request.user, case_id)
    for s in case.proc.steps:
        if s.kind == kind:
            return s.key
    return kind


@router.post("/cases/{case_id}/reject", response=ActionOut, summary="不予纳入（写明理由）")
def reject(request, case_id: int, payload: ReasonIn):
    case = selectors.get_case_for(request.user, case_id)
    with _write(request):
        result = services.reject_case(request.user, case, reason=payload.reason, expected_version=payload.version)
    return _action(result)


@router.post("/cases/{case_id}/return", response=ActionOut, summary="情况存疑，退回重新核实")
def send_back(request, case_id: int, payload: ReasonIn):
    case = selectors.get_case_for(request.user, case_id)
    with _write(request):
        result = services.send_back(request.user, case, reason=payload.reason, expected_version=payload.version)
    return _action(result)


@router.post("/cases/{case_id}/objections", response={201: ActionOut}, summary="登记公示期间收到的异议")
def add_objection(request, case_id: int, payload: ObjectionIn):
    case = selectors.get_case_for(request.user, case_id)
    with _write(request):
        services.record_objection(request.user, case, content=payload.content, received_on=payload.received_on,
                                  raised_by=payload.raised_by)
    return Status(201, _action(services.Result(case, "已登记异议；异议处理前不能进入下一步")))


@router.post("/objections/{objection_id}/resolve", response=ActionOut, summary="处理公示异议")
def resolve_objection(request, objection_id: int, payload: ResolveIn):
    objection = selectors.get_objection_for(request.user, objection_id)
    with _write(request):
        result = services.resolve_objection(request.user, objection, outcome=payload.outcome,
                                            resolution=payload.resolution)
    return _action(result)


@router.post("/cases/{case_id}/system-entry", response=ActionOut, summary="登记录入全国防返贫监测信息系统")
def system_entry(request, case_id: int, payload: EntryIn):
    case = selectors.get_case_for(request.user, case_id)
    with _write(request):
        result = services.record_system_entry(request.user, case, entered_on=payload.entered_on)
    return _action(result)


@router.get("/notices", response=list[NoticeOut], summary="公示公告列表")
def list_notices(request):
    return [_notice_out(request.user, n) for n in selectors.notices_visible_to(request.user).order_by("-id")[:200]]


@router.get("/notices/{notice_id}", response=NoticeOut, summary="公示公告详情")
def get_notice(request, notice_id: int):
    return _notice_out(request.user, selectors.get_notice_for(request.user, notice_id))


@router.post("/notices", response={201: NoticeOut}, summary="发布村级公示／乡镇公示／县级公告（一批农户）")
def publish_notice(request, payload: NoticeIn):
    cases = [selectors.get_case_for(request.user, pk) for pk in payload.case_ids]
    with _write(request):
        notice = services.publish_notice(request.user, payload.step, cases, starts_on=payload.starts_on)
    return Status(201, _notice_out(request.user, notice))


@router.post("/notices/{notice_id}/close", response=CloseOut, summary="公示期满后结束公示")
def close_notice(request, notice_id: int):
    notice = selectors.get_notice_for(request.user, notice_id)
    with _write(request):
        return services.close_notice(request.user, notice)
