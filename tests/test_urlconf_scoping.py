"""One scoping door, proven for every route that takes an object id (R-SEC-01).

The sweep walks the URLconf (pages) and the API's operations, so a new route with an id cannot
slip past: the set of id-taking routes found must equal the tables below, which say what kind of
object each route takes. For every route and every method it allows, a user of another village,
another township or another county gets 404 — the same answer as for an id that does not exist —
and nothing changes (no row, no history row, no audit event). A user of the object's own area
reaches the same object by the same id (so the 404s are not an artefact of a wrong fixture);
their writes are rolled back.

The back office (``admin:``) is not swept: only the system administrator may enter it, and its
rows are read-only there (tests/test_admin_readonly.py).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from fangpin.accounts.roles import Role
from fangpin.api.urls import api
from fangpin.areas.models import Level
from fangpin.assistance import plans as assistance_plans
from fangpin.cases import services as case_services
from fangpin.discovery import services as lead_services
from fangpin.followup import services as followup_services
from fangpin.grid import services as grid_services
from fangpin.interop.models import ExportJob, ExportStatus, ImportJob, ImportStatus
from fangpin.registry.moves import request_move
from tests.cases.conftest import DAY, add_income, advance, application, decision
from tests.factories import division, household, user


@dataclass(frozen=True)
class Route:
    kind: str  # which object the id names; see ``world``
    extra: dict = field(default_factory=dict)  # further path arguments (not ids)
    # Ids in the request body that must name something of the requester's own area, so that only the
    # id in the path stands between the requester and the object: body field -> kind.
    own: dict = field(default_factory=dict)


# Page routes (namespace:name) that take an id.
PAGES = {
    "registry:household_detail": Route("household"),
    "registry:household_edit": Route("household"),
    "registry:household_category": Route("household"),
    "registry:household_tags": Route("household"),
    "registry:basic_needs_edit": Route("household"),
    "registry:income_add": Route("household"),
    "registry:member_add": Route("household"),
    "registry:member_edit": Route("member"),
    "registry:member_move": Route("member"),
    "registry:member_remove": Route("member"),
    "registry:move_detail": Route("move"),
    "registry:move_approve": Route("move"),
    "registry:move_decline": Route("move"),
    "cases:case_detail": Route("case"),
    "cases:step": Route("case", {"step_key": "village_decision"}),
    "cases:reject": Route("case"),
    "cases:send_back": Route("case"),
    "cases:objection_add": Route("case"),
    "cases:system_entry": Route("case"),
    "cases:receipt": Route("case"),
    "cases:objection_resolve": Route("objection"),
    "cases:attachment": Route("attachment"),
    "cases:notice_detail": Route("notice"),
    "cases:notice_print": Route("notice"),
    "interop:import_detail": Route("import"),
    "interop:import_progress": Route("import"),
    "interop:import_apply": Route("import"),
    "interop:import_recheck": Route("import"),
    "interop:export_download": Route("export"),
    "grid:village": Route("village"),
    "grid:ledger": Route("village"),
    "grid:group_split": Route("group"),
    "grid:grid_detail": Route("grid"),
    "grid:grid_assign": Route("grid"),
    "grid:worker_create": Route("village"),
    "grid:worker_edit": Route("grid_worker"),
    "grid:worker_remove": Route("grid_worker"),
    "grid:working_group_edit": Route("working_group"),
    "followup:visit_detail": Route("visit"),
    "followup:visit_new": Route("household"),
    "followup:sweep_detail": Route("sweep"),
    "followup:sweep_close": Route("sweep"),
    "followup:screening_file": Route("screening"),
    "assistance:department_answer": Route("department_measure"),
    "assistance:village_list": Route("village"),
    "assistance:village_list_xlsx": Route("village"),
    "assistance:lists_job": Route("village_lists_job"),
    "assistance:lists_job_download": Route("village_lists_job"),
    "discovery:lead_detail": Route("lead"),
    "discovery:lead_dispatch": Route("lead"),
    "discovery:lead_verify": Route("lead"),
    "discovery:lead_close": Route("lead"),
    "discovery:lead_serious": Route("lead"),
    "discovery:lead_serious_report": Route("lead"),
    "discovery:attachment": Route("lead_attachment"),
    "discovery:poster": Route("village"),
    "discovery:poster_township": Route("township"),
    "assistance:household_plan": Route("household"),
    "assistance:contact_assign": Route("household"),
    "assistance:plan_start": Route("household"),
    "assistance:plan_measure_add": Route("plan"),
    "assistance:plan_submit": Route("plan"),
    "assistance:plan_approve": Route("plan"),
    "assistance:plan_return": Route("plan"),
    "assistance:plan_reopen": Route("plan"),
    "assistance:plan_entry": Route("plan"),
    "assistance:plan_developmental": Route("plan"),
    "assistance:measure_remove": Route("plan_measure"),
    "assistance:measure_apply": Route("plan_measure"),
    "assistance:measure_carry_out": Route("plan_measure"),
    "assistance:catalogue_list": Route("policy_list"),
    "assistance:catalogue_policy_new": Route("policy_list"),
    "assistance:catalogue_submit": Route("policy_list"),
    "assistance:catalogue_reopen": Route("policy_list"),
    "assistance:catalogue_publish": Route("policy_list"),
    "assistance:catalogue_import": Route("policy_list"),
    "assistance:catalogue_import_confirm": Route("policy_list"),
    "assistance:catalogue_export": Route("policy_list"),
    "assistance:catalogue_booklet": Route("policy_list"),
    "assistance:catalogue_policy_edit": Route("catalogue_policy"),
    "assistance:catalogue_policy_remove": Route("catalogue_policy"),
    "followup:monthly_visit": Route("household"),
    "followup:member_change_detail": Route("member_change"),
    "followup:member_change_decide": Route("member_change"),
    "followup:ticket_detail": Route("ticket"),
    "followup:ticket_close": Route("ticket"),
    "followup:ticket_reclassify": Route("ticket"),
    "followup:ticket_assign": Route("ticket"),
    "followup:ticket_evidence": Route("ticket"),
    "followup:door_card": Route("household"),
    "followup:meeting_detail": Route("meeting"),
    # Analysis material and meetings take the division's code; the door card's QR code an opaque token.
    "followup:village_analysis": Route("village_code"),
    "followup:village_analysis_export": Route("village_code"),
    "followup:township_dispatch": Route("township_code"),
    "followup:township_dispatch_export": Route("township_code"),
    "followup:meeting_new": Route("village_code"),
    "followup:card_open": Route("card_token"),
}

# API operations (method, path as the API documents it) that take an id.
API = {
    ("GET", "/api/households/{household_id}"): Route("household"),
    ("PATCH", "/api/households/{household_id}"): Route("household"),
    ("POST", "/api/households/{household_id}/category"): Route("household"),
    ("PUT", "/api/households/{household_id}/basic-needs"): Route("household"),
    ("POST", "/api/households/{household_id}/members"): Route("household"),
    ("POST", "/api/households/{household_id}/incomes"): Route("household"),
    ("GET", "/api/households/{household_id}/history"): Route("household"),
    ("PATCH", "/api/members/{member_id}"): Route("member"),
    ("POST", "/api/members/{member_id}/move"): Route("member", own={"to_household_id": "household"}),
    ("POST", "/api/members/{member_id}/remove"): Route("member"),
    ("GET", "/api/cases/{case_id}"): Route("case"),
    ("POST", "/api/cases/{case_id}/application"): Route("case"),
    ("POST", "/api/cases/{case_id}/verification"): Route("case"),
    ("POST", "/api/cases/{case_id}/deliberation"): Route("case"),
    ("POST", "/api/cases/{case_id}/cross-check"): Route("case"),
    ("POST", "/api/cases/{case_id}/decision"): Route("case"),
    ("POST", "/api/cases/{case_id}/reject"): Route("case"),
    ("POST", "/api/cases/{case_id}/return"): Route("case"),
    ("POST", "/api/cases/{case_id}/objections"): Route("case"),
    ("POST", "/api/cases/{case_id}/system-entry"): Route("case"),
    ("POST", "/api/objections/{objection_id}/resolve"): Route("objection"),
    ("GET", "/api/notices/{notice_id}"): Route("notice"),
    ("POST", "/api/notices/{notice_id}/close"): Route("notice"),
    ("GET", "/api/interop/imports/{job_id}"): Route("import"),
    ("GET", "/api/interop/imports/{job_id}/issues"): Route("import"),
    ("POST", "/api/interop/imports/{job_id}/apply"): Route("import"),
    ("GET", "/api/interop/exports/{export_id}"): Route("export"),
    ("GET", "/api/move-requests/{move_id}"): Route("move"),
    ("POST", "/api/move-requests/{move_id}/approve"): Route("move"),
    ("POST", "/api/move-requests/{move_id}/decline"): Route("move"),
    ("GET", "/api/villages/{village_id}/grids"): Route("village"),
    ("GET", "/api/grids/{grid_id}"): Route("grid"),
    ("POST", "/api/grids/{grid_id}/households"): Route("grid"),
    ("POST", "/api/villager-groups/{group_id}/split"): Route("group"),
    ("GET", "/api/grid-workers/{worker_id}"): Route("grid_worker"),
    ("PATCH", "/api/grid-workers/{worker_id}"): Route("grid_worker"),
    ("POST", "/api/grid-workers/{worker_id}/remove"): Route("grid_worker"),
    ("GET", "/api/visits/{visit_id}"): Route("visit"),
    ("GET", "/api/assistance/department-measures/{measure_id}"): Route("department_measure"),
    ("POST", "/api/assistance/department-measures/{measure_id}/answer"): Route("department_measure"),
    ("GET", "/api/assistance/villages/{village_id}/list"): Route("village"),
    ("GET", "/api/sweeps/{sweep_id}/coverage"): Route("sweep"),
    ("GET", "/api/leads/{lead_id}"): Route("lead"),
    ("POST", "/api/leads/{lead_id}/dispatch"): Route("lead"),
    ("POST", "/api/leads/{lead_id}/verify"): Route("lead"),
    ("POST", "/api/leads/{lead_id}/close"): Route("lead"),
    ("POST", "/api/leads/{lead_id}/serious"): Route("lead"),
    ("POST", "/api/leads/{lead_id}/serious-report"): Route("lead"),
    ("GET", "/api/assistance/households/{household_id}/plan"): Route("household"),
    ("GET", "/api/assistance/households/{household_id}/proposals"): Route("household"),
    ("POST", "/api/assistance/households/{household_id}/contact"): Route("household"),
    ("POST", "/api/assistance/households/{household_id}/plan"): Route("household"),
    ("POST", "/api/assistance/plans/{plan_id}/measures"): Route("plan"),
    ("POST", "/api/assistance/plans/{plan_id}/submit"): Route("plan"),
    ("POST", "/api/assistance/plans/{plan_id}/approve"): Route("plan"),
    ("POST", "/api/assistance/plans/{plan_id}/return"): Route("plan"),
    ("POST", "/api/assistance/plans/{plan_id}/reopen"): Route("plan"),
    ("POST", "/api/assistance/plans/{plan_id}/entry"): Route("plan"),
    ("POST", "/api/assistance/plans/{plan_id}/developmental"): Route("plan"),
    ("POST", "/api/assistance/plan-measures/{measure_id}/remove"): Route("plan_measure"),
    ("POST", "/api/assistance/plan-measures/{measure_id}/apply"): Route("plan_measure"),
    ("POST", "/api/assistance/plan-measures/{measure_id}/carry-out"): Route("plan_measure"),
    ("GET", "/api/assistance/policy-lists/{list_id}"): Route("policy_list"),
    ("POST", "/api/assistance/policy-lists/{list_id}/policies"): Route("policy_list"),
    ("POST", "/api/assistance/policy-lists/{list_id}/submit"): Route("policy_list"),
    ("POST", "/api/assistance/policy-lists/{list_id}/reopen"): Route("policy_list"),
    ("POST", "/api/assistance/policy-lists/{list_id}/publish"): Route("policy_list"),
    ("GET", "/api/assistance/policy-lists/{list_id}/export"): Route("policy_list"),
    ("GET", "/api/assistance/policies/{policy_id}"): Route("catalogue_policy"),
    ("PATCH", "/api/assistance/policies/{policy_id}"): Route("catalogue_policy"),
    ("POST", "/api/assistance/policies/{policy_id}/remove"): Route("catalogue_policy"),
    ("POST", "/api/followup/member-changes/{change_id}/verify"): Route("member_change"),
    ("POST", "/api/followup/member-changes/{change_id}/reject"): Route("member_change"),
    ("GET", "/api/followup/tickets/{ticket_id}"): Route("ticket"),
    ("POST", "/api/followup/tickets/{ticket_id}/close"): Route("ticket"),
    ("POST", "/api/followup/tickets/{ticket_id}/close-with-file"): Route("ticket"),
    ("POST", "/api/followup/tickets/{ticket_id}/reclassify"): Route("ticket"),
    ("POST", "/api/followup/tickets/{ticket_id}/assign"): Route("ticket"),
    ("GET", "/api/followup/households/{household_id}/income-series"): Route("household"),
    ("GET", "/api/followup/households/{household_id}/colour"): Route("household"),
}

# Objects of village A (蔡桥村) are outside all three outsiders' areas; import and export jobs belong
# to the whole county, so only the other county's officer is outside them (village and township
# staff may not use imports at all, whatever the id).
VILLAGE_OUTSIDERS = ("cadre_b", "township_b", "county_2")
COUNTY_OUTSIDERS = ("county_2",)
# Sweeps and department screenings belong to the whole county too (everyone working in it sees them).
OUTSIDERS = {"import": COUNTY_OUTSIDERS, "export": COUNTY_OUTSIDERS, "sweep": COUNTY_OUTSIDERS,
             "screening": COUNTY_OUTSIDERS, "village_lists_job": COUNTY_OUTSIDERS,
             # A department's policy list belongs to the county (its county office sees it).
             "policy_list": COUNTY_OUTSIDERS, "catalogue_policy": COUNTY_OUTSIDERS}

MISSING_ID = 987654321
WATCHED_APPS = ("areas", "accounts", "registry", "cases", "interop", "assistance", "audit", "profiles",
                "discovery", "followup")
# Rows a request may legitimately touch whoever sends it.
UNWATCHED = {"accounts.user"}  # last_login on sign-in
# A page form post: fields most forms take. The scope check must come before any of it is read.
PAGE_POST = {"reason": "核实情况", "note": "说明", "outcome": "upheld", "resolution": "已核实", "category": "ordinary",
             "decision": "approve", "meeting_date": DAY.isoformat(), "refused_seen": "on", "divisions_confirmed": "on"}


# --- discovery ------------------------------------------------------------------------------------


def _walk(patterns, namespaces=()):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, (*namespaces, p.namespace) if p.namespace else namespaces)
        elif isinstance(p, URLPattern):
            yield ":".join((*namespaces, p.name or "")), namespaces, p


def _parameters(pattern: URLPattern) -> set[str]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters is not None and converters:
        return set(converters)
    return set(pattern.pattern.regex.groupindex) | ({"<positional>"} if pattern.pattern.regex.groups else set())


def discovered_page_routes() -> set[str]:
    """Every page route that takes a path argument, apart from the back office and the API."""
    found = set()
    for name, namespaces, pattern in _walk(get_resolver().url_patterns):
        if namespaces[:1] in (("admin",), (api.urls_namespace,)):
            continue
        if _parameters(pattern):
            found.add(name)
    return found


@functools.cache
def _openapi():
    return api.get_openapi_schema()


def discovered_api_operations() -> set[tuple[str, str]]:
    found = set()
    for path, operations in _openapi()["paths"].items():
        for method, op in operations.items():
            if any(p["in"] == "path" for p in op.get("parameters", [])):
                found.add((method.upper(), path))
    return found


def api_paths_served() -> set[str]:
    """The API's URL patterns that take a path argument, in the documented ``{name}`` form."""
    served = set()
    for _name, namespaces, pattern in _walk(get_resolver().url_patterns):
        if namespaces[:1] == (api.urls_namespace,) and _parameters(pattern):
            served.add("/api/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern)))
    return served


# Public pages (no login) whose path argument is an unguessable signed token, not an id: a forged or
# altered token answers 404 and writes nothing (tests/discovery/test_public_declaration.py).
PUBLIC_TOKEN_PAGES = {"discovery:declare"}
# Public pages (no login) of a county's published policy catalogue: the path argument is the county's
# division code, public by nature; they show only what the county office published
# (tests/assistance/test_catalogue_pages.py).
PUBLIC_CATALOGUE_PAGES = {"assistance:catalogue_public", "assistance:catalogue_public_booklet",
                          "assistance:catalogue_public_qr_svg", "assistance:catalogue_public_qr_png"}


def test_every_id_route_is_in_the_sweep_R_SEC_01():
    """A new route with an id fails here until the tables below say what object it takes."""
    assert discovered_page_routes() == set(PAGES) | PUBLIC_TOKEN_PAGES | PUBLIC_CATALOGUE_PAGES
    assert discovered_api_operations() == set(API)
    # Nothing served by the API is missing from its description (an operation left out of the docs).
    assert api_paths_served() == {path for _method, path in API}


# --- the objects ----------------------------------------------------------------------------------


@pytest.fixture
def world(county, households, personas, settings, tmp_path):
    """One object of each kind in village A (蔡桥村) of county 1, and users of other areas."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cadre, officer = personas["cadre_a"], personas["county_officer"]
    h = households["a1"]
    add_income(h, 2025, 9000)
    add_income(h, 2026, 5200, purpose="identification")
    pdf = SimpleUploadedFile("申请书.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    case = case_services.open_case(cadre, h, application=application(h), today=DAY, files=[pdf]).case
    case, day = advance(case, personas, until="village_decision")
    case_services.act(cadre, case, "village_decision", decision(day), today=day)
    notice = case_services.publish_notice(cadre, "village_decision", [case], starts_on=day, today=day)
    objection = case_services.record_objection(cadre, case, content="群众反映该户有车辆", received_on=day, today=day)
    holder = households["a2"].members.get(relation="户主")
    move = request_move(cadre, id_number=holder.id_number, division_code=h.division_code, name=holder.name,
                        target_household=h)
    import_job = ImportJob.objects.create(
        county=county["county"], file=SimpleUploadedFile("监测对象.xlsx", b"PK"), original_name="监测对象.xlsx",
        sha256="0" * 64, uploaded_by=officer, status=ImportStatus.CHECKED)
    export_job = ExportJob.objects.create(
        county=county["county"], division_code="340621", layout="monitoring", status=ExportStatus.DONE,
        file=SimpleUploadedFile("导出.xlsx", b"PK"), created_by=officer)
    # A department application waiting for 医保局's answer, and a county export job of village lists.
    from fangpin.assistance.models import Measure as AssistanceMeasure
    from fangpin.assistance.village_list import JOB_KIND as VILLAGE_LISTS
    from fangpin.jobs.services import create as create_job

    department_measure = AssistanceMeasure.objects.create(
        household=h, category="健康帮扶", content="申请医疗救助", source="local", handler="department",
        department="医保局", status="applied", applied_on=DAY, answer_due_on=DAY, year=DAY.year)
    village_lists_job = create_job(VILLAGE_LISTS, owner=officer, scope_code="340621")

    other = division("340602", "杜集区", Level.COUNTY)
    town = division("340602100", "高岳街道", Level.TOWNSHIP, other)
    village = division("340602100201", "新庄村", Level.VILLAGE, town)
    group = division("340602100201001", "第一村民小组", Level.GROUP, village)
    other_household = household(division("34060210020100101", "第一网格", Level.GRID, group), "3406021002010001", "杜某")
    people = {
        "insider": officer,
        "cadre_b": personas["cadre_b"],
        "township_b": user("township_b", Role.TOWNSHIP_STAFF, county["t2"], display_name="韩村镇干部"),
        "county_2": user("county_2", Role.COUNTY_OFFICE, other, display_name="杜集区干部"),
    }
    photo = SimpleUploadedFile("住院证明.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    lead = lead_services.raise_lead(officer, channel="hotline_12317", household=h, description="来电反映户主住院",
                                    today=DAY, files=[photo]).lead
    visit = followup_services.record_visit(cadre, h, {"visited_on": DAY.isoformat(), "mode": "home"}, today=DAY).obj
    sweep = followup_services.open_sweep(officer, county["county"], {
        "name": "拉网式排查", "starts_on": DAY.isoformat(), "ends_on": DAY.isoformat()}, today=DAY).obj
    screening = followup_services.submit_screening(
        officer, county["county"], {"department": "民政局", "year": DAY.year, "quarter": (DAY.month - 1) // 3 + 1,
                                    "scope": "全县", "households_screened": 10, "findings_count": 1},
        upload=SimpleUploadedFile("排查.pdf", b"%PDF-1.4\n%%EOF\n"), today=DAY).obj
    grid_worker = grid_services.create_worker(cadre, county["va"], {
        "name": "蔡德明", "phone": "13955610001", "position": "group_worker", "grid": county["grid_a1"].code})
    working_group = grid_services.setup_working_groups(officer, county["t1"])[0]
    # An assistance plan with one measure for the household (the plan part; catalogue made directly).
    from tests.assistance.test_plans import make_catalogue, policy

    plan = assistance_plans.on_household_filed(officer, h, DAY)
    plan_measure = assistance_plans.add_measure(personas["township_officer"], plan,
                                                policy(make_catalogue(county["county"]), "医疗救助")).obj
    # A department's policy list (医保局) with one policy.
    from fangpin.assistance import catalogue as policy_catalogue

    policy_list = policy_catalogue.open_department_list(personas["department"], DAY.year, today=DAY).obj
    catalogue_policy = policy_catalogue.save_policy(personas["department"], policy_list, {
        "type": "健康帮扶", "name": "医疗救助", "content": "住院自付费用按比例救助"}).obj
    # Follow-up: a member change proposed on a visit, a problem ticket, a village analysis meeting; the
    # analysis pages take division codes and the door card's QR code a signed token (``pk`` is what the
    # path carries).
    from types import SimpleNamespace

    from fangpin.followup import analysis as followup_analysis
    from fangpin.followup import members as followup_members
    from fangpin.followup import tickets as followup_tickets
    from fangpin.followup.colour import card_token

    member_change = followup_members.propose(cadre, h, {
        "kind": "death", "member": h.members.get(relation="配偶").pk, "happened_on": DAY.isoformat(),
        "note": "村委会核实"}, today=DAY)
    ticket = followup_tickets.open_ticket(cadre, h, {"dimension": "water", "description": "入户水管冻裂"}, today=DAY).obj
    ticket = followup_tickets.close_ticket(cadre, ticket, {  # closed with its evidence file (for the download route)
        "closed_on": DAY.isoformat(), "evidence": "已更换保温水管，供水正常", "version": ticket.version},
        upload=SimpleUploadedFile("验收单.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"), today=DAY).obj
    meeting = followup_analysis.record_meeting(cadre, county["va"], "village_analysis", {
        "held_on": DAY.isoformat(), "attendees": "村两委、驻村工作队", "conclusions": "逐户研判，继续跟踪"}, today=DAY)
    objects = {
        "member_change": member_change, "ticket": ticket, "meeting": meeting,
        "village_code": SimpleNamespace(pk=county["va"].code), "township_code": SimpleNamespace(pk=county["t1"].code),
        "card_token": SimpleNamespace(pk=card_token(h.pk)),
        "plan": plan, "plan_measure": plan_measure,
        "policy_list": policy_list, "catalogue_policy": catalogue_policy,
        "village": county["va"], "township": county["t1"], "group": county["ga1"], "grid": county["grid_a1"],
        "grid_worker": grid_worker,
        "working_group": working_group,
        "visit": visit, "sweep": sweep, "screening": screening,
        "lead": lead, "lead_attachment": lead.attachments.get(),
        "household": h, "member": h.members.get(relation="配偶"), "case": case, "objection": objection,
        "attachment": case.attachments.get(), "notice": notice, "move": move, "import": import_job,
        "export": export_job,
        "department_measure": department_measure, "village_lists_job": village_lists_job,
    }
    assert move is not None and all(o.pk for o in objects.values())
    # Something of each requester's own area, for ids a request body carries.
    own = {"household": {"insider": households["a2"], "cadre_b": households["b1"], "township_b": households["c1"],
                         "county_2": other_household}}
    return {"objects": objects, "people": people, "own": own}


def _snapshot() -> dict:
    rows = {}
    for app in WATCHED_APPS:
        for model in apps.get_app_config(app).get_models():
            if model._meta.label_lower in UNWATCHED:
                continue
            rows[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return rows


def _writes() -> int:
    """Rows written so far by this connection (SQLite) or in this transaction (PostgreSQL), any table.

    One cheap reading per request; a full snapshot of every row brackets each sweep as well.
    """
    if connection.vendor == "sqlite":
        return connection.connection.total_changes
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
        return int(cursor.fetchone()[0])


def _clients(world) -> dict[str, Client]:
    clients = {}
    for who, person in world["people"].items():
        clients[who] = Client(raise_request_exception=False)
        clients[who].force_login(person)
    return clients


# --- pages ----------------------------------------------------------------------------------------


def _page_url(name: str, route: Route, pk) -> str:
    pattern = next(p for n, _ns, p in _walk(get_resolver().url_patterns) if n == name)
    ids = _parameters(pattern) - set(route.extra)
    assert len(ids) == 1, f"{name}: which argument is the id? {sorted(ids)}"
    return reverse(name, kwargs={ids.pop(): pk, **route.extra})


def _page_request(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, PAGE_POST)


def test_pages_answer_404_outside_the_users_area_and_change_nothing_R_SEC_01(world):
    clients = _clients(world)
    problems = []
    start = _snapshot()
    for name, route in sorted(PAGES.items()):
        obj = world["objects"][route.kind]
        url, missing = _page_url(name, route, obj.pk), _page_url(name, route, MISSING_ID)
        for method in ("GET", "POST"):
            inside = _rolled_back(lambda: _page_request(clients["insider"], method, url))  # noqa: B023
            if inside.status_code == 404:
                problems.append(f"{method} {name}: the object's own county office gets 404 (fixture or route wrong)")
            for who in OUTSIDERS.get(route.kind, VILLAGE_OUTSIDERS):
                client = clients[who]
                before = _writes()
                r = _page_request(client, method, url)
                if _writes() != before:
                    problems.append(f"{method} {name} by {who}: something was written")
                if r.status_code == 405 and inside.status_code == 405:
                    continue  # a method the page does not take at all
                if r.status_code != 404:
                    problems.append(f"{method} {name} by {who}: {r.status_code}, not 404")
                elif _page_request(client, method, missing).status_code != 404:
                    problems.append(f"{method} {name} by {who}: a missing id is not answered like a foreign one")
    assert not problems, "\n".join(problems)
    assert _snapshot() == start


def _rolled_back(call):
    """Run a request that may write, and undo whatever it wrote."""
    with transaction.atomic():
        response = call()
        transaction.set_rollback(True)
    return response


# --- API ------------------------------------------------------------------------------------------


def _example(schema: dict, components: dict):
    """A minimal value the schema accepts (required properties only)."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _example(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _example(props[k], components) for k in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "string":
        return DAY.isoformat() if schema.get("format") == "date" else "核实"
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return False
    raise AssertionError(f"no example for {schema}")


def _api_body(method: str, path: str):
    spec = _openapi()
    op = spec["paths"][path][method.lower()]
    content = op.get("requestBody", {}).get("content", {})
    if not content:
        return None
    if list(content) == ["multipart/form-data"]:  # an upload: its fields, and a small PDF for each file field
        schema = content["multipart/form-data"]["schema"]
        return {"__multipart__": True, **{k: "" for k in schema.get("properties", {})
                                          if schema["properties"][k].get("format") != "binary"},
                **{k: "file" for k in schema.get("properties", {}) if schema["properties"][k].get("format") == "binary"}}
    assert list(content) == ["application/json"], f"{method} {path}: body {list(content)} not covered by the sweep"
    return _example(content["application/json"]["schema"], spec["components"]["schemas"])


def _own(world, route: Route, who: str, body):
    if not route.own:
        return body
    return {**body, **{key: world["own"][kind][who].pk for key, kind in route.own.items()}}


def _api_request(client, method: str, url: str, body):
    if body is None:
        return client.generic(method, url)
    if body.get("__multipart__"):
        data = {k: (SimpleUploadedFile("佐证.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
                    if v == "file" else v) for k, v in body.items() if k != "__multipart__"}
        return client.post(url, data)
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def test_api_answers_404_outside_the_users_area_and_changes_nothing_R_SEC_01(world):
    clients = _clients(world)
    problems = []
    start = _snapshot()
    for (method, path), route in sorted(API.items()):
        obj = world["objects"][route.kind]
        template = re.sub(r"\{\w+\}", "{}", path)
        url, missing = template.format(obj.pk), template.format(MISSING_ID)
        body = _api_body(method, path)
        inside = _rolled_back(lambda: _api_request(clients["insider"], method, url, _own(world, route, "insider", body)))  # noqa: B023
        if inside.status_code == 404:
            problems.append(f"{method} {path}: the object's own county office gets 404 (fixture or route wrong)")
        for who in OUTSIDERS.get(route.kind, VILLAGE_OUTSIDERS):
            client = clients[who]
            mine = _own(world, route, who, body)
            before = _writes()
            r = _api_request(client, method, url, mine)
            if _writes() != before:
                problems.append(f"{method} {path} by {who}: something was written")
            if r.status_code != 404:
                problems.append(f"{method} {path} by {who}: {r.status_code} {r.content.decode()[:200]}, not 404")
                continue
            m = _api_request(client, method, missing, mine)
            if (m.status_code, m.content) != (404, r.content):
                problems.append(f"{method} {path} by {who}: a missing id is not answered like a foreign one")
    assert not problems, "\n".join(problems)
    assert _snapshot() == start


# --- ids in the request body ------------------------------------------------------------------------


@pytest.mark.parametrize("method,path", [("POST", "/api/interop/imports"), ("POST", "/api/interop/exports")])
def test_a_county_outside_the_users_area_is_404_in_the_import_api_R_SEC_01(world, method, path):
    """Naming a county you do not hold answers like naming no county at all, and starts nothing."""
    client = _clients(world)["county_2"]

    def send(code):
        if path.endswith("imports"):
            upload = SimpleUploadedFile("监测对象.xlsx", b"PK", content_type="application/octet-stream")
            return client.post(path, {"county_code": code, "file": upload})
        return _api_request(client, method, path, {"county_code": code})

    before = _snapshot()
    foreign, unknown = send("340621"), send("999999")
    assert foreign.status_code == 404, foreign.content
    assert (unknown.status_code, unknown.json()) == (404, foreign.json())
    assert _snapshot() == before


def test_a_role_without_imports_is_refused_whatever_the_county_R_SEC_01(world):
    client = _clients(world)["cadre_b"]
    for code in ("340621", "999999"):
        r = _api_request(client, "POST", "/api/interop/exports", {"county_code": code})
        assert r.status_code == 403 and "县乡村振兴局" in r.json()["detail"]


def test_the_sweep_objects_sit_in_village_a_R_SEC_01(world):
    o = world["objects"]
    assert o["household"].division_code.startswith("340621100201")
    assert o["case"].division_code.startswith("340621100201") and o["notice"].division_code == "340621100201"
    assert o["move"].target_division_code.startswith("340621100201")
    assert o["move"].holder_division_code.startswith("340621100201")
    assert o["import"].county.code == o["export"].county.code == "340621"


def test_a_division_that_is_not_a_county_is_named_in_the_refusal_R_SEC_01(world):
    client = _clients(world)["insider"]
    r = _api_request(client, "POST", "/api/interop/exports", {"county_code": "340621100"})
    assert r.status_code == 422 and "340621100 不是县（区）的区划代码" in r.json()["detail"]
