"""Assistance over HTTP: the county policy catalogue (R-AID-01, R-AID-02). Thin: the same scoped getters
(``catalogue.get_list_for`` / ``get_policy_for``: 404 outside the user's county or department) and
service functions as the pages; errors are the services' Chinese messages naming the field.

The import is a dry run (``POST /assistance/policy-imports``: the file is kept, its rows and issues are answered with
a token and the preview's digest) and a confirmation (``POST /assistance/policy-imports/confirm``) that writes
exactly what the preview showed or nothing."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.http import HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from fangpin.assistance import catalogue, catalogue_io
from fangpin.assistance.models import ListKind, Policy, PolicyList
from fangpin.audit.context import using_source

router = Router(tags=["帮扶"])

Text = str | int | None


class ConditionsIn(Schema):
    categories: list[str] = []
    risk_types: list[str] = []
    labour: list[str] = []
    social_assistance: list[str] = []
    min_age: Text = None
    max_age: Text = None
    disability: bool | None = None
    student: bool | None = None
    max_per_capita_income: Text = None


class PolicyIn(Schema):
    type: str = ""
    name: str = ""
    content: str = ""
    target_population: str = ""
    conditions_text: str = ""
    procedure: str = ""
    department: str = ""
    contact_name: str = ""
    office_phone: str = ""
    mobile: str = ""
    kind: str = ""
    handler: str = ""
    # Absent: derived from 适用人群 / 适用人群条件.
    conditions: ConditionsIn | None = None


class PolicyPatch(Schema):
    type: str | None = None
    name: str | None = None
    content: str | None = None
    target_population: str | None = None
    conditions_text: str | None = None
    procedure: str | None = None
    department: str | None = None
    contact_name: str | None = None
    office_phone: str | None = None
    mobile: str | None = None
    kind: str | None = None
    handler: str | None = None
    conditions: ConditionsIn | None = None


class PolicyOut(Schema):
    id: int
    list_id: int
    position: int
    type: str
    name: str
    content: str
    target_population: str
    conditions_text: str
    conditions: dict
    conditions_summary: str
    procedure: str
    department: str
    contact_name: str
    office_phone: str
    mobile: str
    kind: str
    kind_label: str
    handler: str
    handler_label: str
    origin_id: int | None


class ListOut(Schema):
    id: int
    county_code: str
    year: int
    kind: str
    kind_label: str
    department: str
    version: int
    status: str
    status_label: str
    title: str
    policies: int
    submitted_at: dt.datetime | None
    published_at: dt.datetime | None


class ListDetail(ListOut):
    items: list[PolicyOut]


class YearIn(Schema):
    year: Text = None


class Message(Schema):
    message: str


class ListMessage(Schema):
    message: str
    list: ListOut


class PolicyMessage(Schema):
    message: str
    policy: PolicyOut


class CatalogueIssueOut(Schema):
    level: str
    row: int | None
    column: str
    message: str


class PreviewOut(Schema):
    token: str
    digest: str
    list_id: int
    file_name: str
    replace: bool
    can_apply: bool
    rows: list[dict]
    issues: list[CatalogueIssueOut]


class ConfirmIn(Schema):
    list_id: int
    token: str
    digest: str
    replace: bool = False


def _list_out(pl: PolicyList, count: int | None = None) -> dict:
    return {"id": pl.pk, "county_code": pl.county_code, "year": pl.year, "kind": pl.kind,
            "kind_label": pl.get_kind_display(), "department": pl.department, "version": pl.version,
            "status": pl.status, "status_label": pl.get_status_display(), "title": pl.title or str(pl),
            "policies": count if count is not None else pl.policies.count(), "submitted_at": pl.submitted_at,
            "published_at": pl.published_at}


def _policy_out(p: Policy, cats: dict | None = None) -> dict:
    return {"id": p.pk, "list_id": p.policy_list_id, "position": p.position, "type": p.type, "name": p.name,
            "content": p.content, "target_population": p.target_population, "conditions_text": p.conditions_text,
            "conditions": p.conditions, "conditions_summary": catalogue.conditions_summary(p.conditions, cats),
            "procedure": p.procedure, "department": p.department, "contact_name": p.contact_name,
            "office_phone": p.office_phone, "mobile": p.mobile, "kind": p.kind, "kind_label": p.get_kind_display(),
            "handler": p.handler, "handler_label": p.get_handler_display(), "origin_id": p.origin_id}


def _data(payload) -> dict:
    data = payload.dict()
    conditions = data.pop("conditions", None)
    if conditions is not None:
        data["conditions"] = conditions
        data["derive_conditions"] = False
    return data


@router.get("/assistance/policy-lists", response=list[ListOut], summary="政策清单（部门清单与县级清单各版本，本县）")
def list_policy_lists(request, year: int | None = None, kind: str = ""):
    qs = catalogue.lists_visible_to(request.user)
    if year:
        qs = qs.filter(year=year)
    if kind in ListKind.values:
        qs = qs.filter(kind=kind)
    from django.db.models import Count

    rows = qs.annotate(n=Count("policies")).order_by("-year", "kind", "department", "-version")[:500]
    return [_list_out(pl, pl.n) for pl in rows]


@router.post("/assistance/policy-lists", response={200: ListMessage, 201: ListMessage},
             summary="编制本部门某年度的政策清单（已有则返回该清单）")
def open_policy_list(request, payload: YearIn):
    with using_source("api", request.path):
        result = catalogue.open_department_list(request.user, payload.year)
    return Status(201 if result.changed else 200, {"message": result.message, "list": _list_out(result.obj)})


@router.get("/assistance/policy-lists/{list_id}", response=ListDetail, summary="一份政策清单及其全部政策")
def get_policy_list(request, list_id: int):
    pl = catalogue.get_list_for(request.user, list_id)
    cats = catalogue.category_names(pl.county_code)
    items = [_policy_out(p, cats) for p in pl.policies.order_by("position", "pk")]
    return {**_list_out(pl, len(items)), "items": items}


@router.post("/assistance/policy-lists/{list_id}/policies", response={201: PolicyMessage}, summary="在草稿清单中新增政策")
def create_policy(request, list_id: int, payload: PolicyIn):
    pl = catalogue.get_list_for(request.user, list_id)
    with using_source("api", request.path):
        result = catalogue.save_policy(request.user, pl, _data(payload))
    return Status(201, {"message": result.message, "policy": _policy_out(result.obj)})


@router.get("/assistance/policies/{policy_id}", response=PolicyOut, summary="一条帮扶政策")
def get_policy(request, policy_id: int):
    return _policy_out(catalogue.get_policy_for(request.user, policy_id))


@router.patch("/assistance/policies/{policy_id}", response=PolicyMessage, summary="修改草稿清单中的政策（只改给出的字段）")
def update_policy(request, policy_id: int, payload: PolicyPatch):
    policy = catalogue.get_policy_for(request.user, policy_id)
    data = {f: getattr(policy, f) for f in catalogue.POLICY_FIELDS}
    data["derive_conditions"] = False
    given = payload.dict(exclude_unset=True)
    data.update({k: v for k, v in given.items() if v is not None})
    with using_source("api", request.path):
        result = catalogue.save_policy(request.user, policy.policy_list, data, policy=policy)
    return {"message": result.message, "policy": _policy_out(result.obj)}


@router.post("/assistance/policies/{policy_id}/remove", response=Message, summary="从草稿清单中删除（剔除）政策")
def remove_policy(request, policy_id: int):
    policy = catalogue.get_policy_for(request.user, policy_id)
    with using_source("api", request.path):
        result = catalogue.remove_policy(request.user, policy)
    return {"message": result.message}


def _list_action(request, list_id: int, action):
    pl = catalogue.get_list_for(request.user, list_id)
    with using_source("api", request.path):
        result = action(request.user, pl)
    return {"message": result.message, "list": _list_out(result.obj)}


@router.post("/assistance/policy-lists/{list_id}/submit", response=ListMessage, summary="部门报送政策清单")
def submit_policy_list(request, list_id: int):
    return _list_action(request, list_id, catalogue.submit_list)


@router.post("/assistance/policy-lists/{list_id}/reopen", response=ListMessage, summary="部门撤回已报送的政策清单以便修改")
def reopen_policy_list(request, list_id: int):
    return _list_action(request, list_id, catalogue.reopen_list)


@router.post("/assistance/policy-lists/{list_id}/publish", response=ListMessage, summary="县乡村振兴局发布县级政策清单草稿")
def publish_policy_list(request, list_id: int):
    return _list_action(request, list_id, catalogue.publish_catalogue)


@router.post("/assistance/policy-catalogues/compile", response={201: ListMessage},
             summary="汇总已报送的部门清单，形成县级政策清单新版本草稿")
def compile_catalogue(request, payload: YearIn):
    with using_source("api", request.path):
        result = catalogue.compile_catalogue(request.user, payload.year)
    return Status(201, {"message": result.message, "list": _list_out(result.obj)})


@router.get("/assistance/policy-lists/{list_id}/export", summary="导出政策清单（附件1格式 .xlsx）")
def export_policy_list(request, list_id: int):
    pl = catalogue.get_list_for(request.user, list_id)
    response = HttpResponse(catalogue_io.export_for(request.user, pl),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(catalogue_io.export_name(pl))}"
    return response


@router.post("/assistance/policy-imports", response=PreviewOut, summary="预检附件1格式的政策清单文件（不写入）")
def preview_import(request, list_id: Form[int], file: File[UploadedFile], replace: Form[bool] = False):
    pl = catalogue.get_list_for(request.user, list_id)
    catalogue.require_editor(request.user, pl)
    token = catalogue_io.stash(file, request.user, pl)
    path, name = catalogue_io.unstash(token, request.user, pl)
    try:
        preview = catalogue_io.preview(pl, path, name, replace=replace)
    except Exception:
        catalogue_io.discard(token)
        raise
    return {"token": token, "digest": preview.digest, "list_id": pl.pk, "file_name": preview.file_name,
            "replace": replace, "can_apply": preview.can_apply, "rows": preview.rows, "issues": preview.issues}


@router.post("/assistance/policy-imports/confirm", response=ListMessage, summary="确认导入预检过的文件（与预检结果一致才写入）")
def confirm_import(request, payload: ConfirmIn):
    pl = catalogue.get_list_for(request.user, payload.list_id)
    with using_source("api", request.path):
        result = catalogue_io.apply_stashed(request.user, pl, payload.token, digest=payload.digest,
                                            replace=payload.replace)
    return {"message": result.message, "list": _list_out(result.obj)}
