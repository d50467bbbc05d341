"""Pages for the monthly visit (R-TRACK-02) and the member changes it proposes.

The monthly form is made for a phone held in one hand: sections folded in <details>, big touch targets,
numeric keyboards for money, a sticky submit bar. A hidden idempotency key is made when the form is
rendered, so a form resubmitted after a network drop finds the visit already recorded. The page's inputs
are plain names that equal the service's error keys (``income.wage_other``, ``measures[0].effect``,
``member_changes[1].id_number``), so every Chinese message lands beside its field.
"""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from fangpin.accounts.scoping import get_visible
from fangpin.policy import income as income_rules
from fangpin.profiles.services import today
from fangpin.registry import vocab
from fangpin.registry.models import HousingGrade
from fangpin.registry.panels import badges_for
from fangpin.registry.queries import household_rows, paginate
from fangpin.registry.selectors import get_household_for
from fangpin.validation import scrub
from fangpin.web import web_source

from . import members, monthly
from .models import (
    JOINING_KINDS,
    REMOTE_MODES,
    MemberChange,
    MemberChangeKind,
    MemberChangeStatus,
    TicketDifficulty,
    Visit,
    VisitMode,
    VisitPurpose,
)

CHANGE_FIELDS = ("kind", "member", "name", "id_number", "relation", "happened_on", "note")
INDEXED = re.compile(r"^(measures|member_changes)\[(\d{1,2})\]\.(\w+)$")
MAX_ROWS = 20


def parse_post(post) -> dict:
    """The flat form → the service's nested payload."""
    data: dict = {"income": {}, "basic_needs": {}}
    lists: dict = {"measures": {}, "member_changes": {}}
    for name in post:
        value = scrub(post.get(name, ""))
        if name.startswith("income."):
            data["income"][name[7:]] = value
        elif name.startswith("basic_needs."):
            data["basic_needs"][name[12:]] = value
        elif m := INDEXED.match(name):
            group, index, field = m.group(1), int(m.group(2)), m.group(3)
            if index < MAX_ROWS:
                lists[group].setdefault(index, {})[field] = value
        elif name == "risk_types":
            data["risk_types"] = [scrub(v) for v in post.getlist("risk_types")]
        elif name not in ("csrfmiddlewaretoken",):
            data[name] = value
    data["measures"] = [lists["measures"][i] for i in sorted(lists["measures"])]
    data["member_changes"] = [lists["member_changes"][i] for i in sorted(lists["member_changes"])]
    data.setdefault("risk_found", "")
    return data


def _income_rows(values: dict, errors: dict) -> list[dict]:
    return [{"name": f"income.{f}", "label": income_rules.LABELS[f], "value": values.get(f, ""),
             "error": errors.get(f"income.{f}", "")} for f in income_rules.INCOME_FIELDS]


def _needs_rows(values: dict, errors: dict) -> list[dict]:
    return [{"name": f"basic_needs.{code}", "label": label, "value": str(values.get(code, "1")),
             "error": errors.get(f"basic_needs.{code}", "")} for code, label in monthly.BASIC_NEEDS]


def _measure_rows(measures, posted: list[dict], errors: dict) -> list[dict]:
    by_pk = {str(p.get("measure")): (i, p) for i, p in enumerate(posted)}
    rows = []
    for i, m in enumerate(measures):
        j, p = by_pk.get(str(m.pk), (i, {}))
        prefix = f"measures[{i}]."
        rows.append({"measure": m, "prefix": prefix, "in_place": p.get("in_place", ""), "effect": p.get("effect", ""),
                     "note": p.get("note", ""),
                     "errors": [errors[f"measures[{j}].{k}"] for k in ("measure", "in_place", "effect", "note")
                                if f"measures[{j}].{k}" in errors]})
    return rows


def _change_rows(posted: list[dict], errors: dict) -> list[dict]:
    posted = posted or [{}]
    rows = []
    for i, p in enumerate(posted):
        prefix = f"member_changes[{i}]."
        rows.append({"prefix": prefix, "index": i, "values": {f: p.get(f, "") for f in CHANGE_FIELDS},
                     "errors": {f: errors.get(prefix + f, "") for f in (*CHANGE_FIELDS, "sex", "birth_date")}})
    return rows


SHOWN = {"visited_on", "mode", "remote_reason", "findings", "risk_types", "raise_lead", "idempotency_key", "income",
         "basic_needs.housing", "basic_needs.note", *(f"basic_needs.{c}" for c, _ in monthly.BASIC_NEEDS),
         *(f"income.{f}" for f in income_rules.INCOME_FIELDS)}
SHOWN_ROW = re.compile(r"^(measures\[\d+\]\.(measure|in_place|effect|note)|member_changes\[\d+\]\."
                       r"(kind|member|name|id_number|relation|happened_on|sex|birth_date))$")


def _shown_by_field(key: str) -> bool:
    """Whether the page shows this error beside a field (the others go on top of the form)."""
    return key in SHOWN or bool(SHOWN_ROW.match(key))


@login_required
@require_http_methods(["GET", "POST"])
def monthly_visit(request, pk):
    user = request.user
    household = get_household_for(user, pk)
    if monthly.current_contact_id(household) != user.pk:
        raise PermissionDenied("该户的帮扶联系人不是您，不能录入该户的月访视")
    day = today()
    errors: dict = {}
    values: dict = {"visited_on": day.isoformat(), "mode": VisitMode.HOME, "income": {}, "basic_needs": {},
                    "measures": [], "member_changes": [], "risk_types": [],
                    "idempotency_key": "mv-" + secrets.token_urlsafe(18)}
    if request.method == "POST":
        data = parse_post(request.POST)
        try:
            with web_source(request):
                result = monthly.record_monthly_visit(user, household, data)
            (messages.success if result.created else messages.info)(request, result.message)
            return redirect(reverse("followup:visit_detail", args=[result.obj.pk]) + "?saved=1")
        except ValidationError as exc:
            errors = {k: v[0] for k, v in exc.message_dict.items()} if hasattr(exc, "error_dict") else {
                "__all__": exc.messages[0]}
        values.update(data)
    measures = list(monthly.open_measures(household))
    active = list(household.members.filter(active=True).order_by("relation_order", "pk"))
    earlier = Visit.objects.filter(household=household, purpose=VisitPurpose.MONTHLY).order_by("-month").first()
    done = earlier if earlier is not None and earlier.month == monthly.month_of(day) else None
    return render(request, "followup/monthly/visit_form.html", {
        "household": household, "row": household_rows(user, [household])[0], "values": values, "errors": errors,
        "general_errors": [v for k, v in errors.items() if not _shown_by_field(k)],
        "income_rows": _income_rows(values.get("income") or {}, errors),
        "needs_rows": _needs_rows(values.get("basic_needs") or {}, errors),
        "housing": (values.get("basic_needs") or {}).get("housing", ""), "housing_grades": HousingGrade.choices,
        "needs_note": (values.get("basic_needs") or {}).get("note", ""),
        "difficulty": (values.get("basic_needs") or {}).get("difficulty", "general"),
        "difficulties": TicketDifficulty.choices,
        "measure_rows": _measure_rows(measures, values.get("measures") or [], errors), "effects": monthly.EFFECTS,
        "change_rows": _change_rows(values.get("member_changes") or [], errors),
        "change_kinds": MemberChangeKind.choices, "active_members": active,
        "relations": vocab.values("relation"), "modes": VisitMode.choices,
        "remote_modes": sorted(REMOTE_MODES), "risk_choices": vocab.values("risk_type"),
        "can_lead": user.role in _lead_roles(), "earlier": earlier, "done": done,
        "month_label": f"{day:%Y年%m月}", "storage_key": f"fangpin-monthly-{household.pk}-{day:%Y-%m}",
        "today": day,
    })


def _lead_roles():
    from fangpin.discovery.services import RAISE_ROLES

    return RAISE_ROLES


# --- member changes ----------------------------------------------------------------------------------


@login_required
def member_change_list(request):
    user = request.user
    status = scrub(request.GET.get("status", ""))
    qs = members.changes_visible_to(user).select_related("household", "member")
    if status in MemberChangeStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    # Waiting ones first (oldest first), then the decided ones (newest first).
    from django.db.models import Case, IntegerField, Value, When

    qs = qs.annotate(waiting=Case(When(status=MemberChangeStatus.PROPOSED, then=Value(0)), default=Value(1),
                                  output_field=IntegerField())).order_by("waiting", "-proposed_at", "-id")
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    items, total, page, pages = paginate(qs, page, settings.FANGPIN_PAGE_SIZE)
    badges = badges_for(user, [c.household_id for c in items])
    rows = [{"c": c, "text": members.describe(user, c), "badges": badges[c.household_id]} for c in items]
    return render(request, "followup/monthly/member_change_list.html", {
        "rows": rows, "total": total, "page": page, "pages": pages, "status": status,
        "statuses": MemberChangeStatus.choices, "query": {"status": status} if status else {},
    })


@login_required
def member_change_detail(request, pk):
    user = request.user
    change = get_visible(MemberChange.objects.select_related("household", "member", "visit"), user, pk,
                         not_found="变动记录不存在或不在您的管辖范围内")
    return _detail(request, change, {})


def _detail(request, change, errors: dict, status: int = 200):
    user = request.user
    data = dict(change.data or {})
    shown = [(label, data.get(key)) for key, label in (("name", "姓名"), ("sex", "性别"), ("birth_date", "出生日期"),
                                                        ("relation", "与户主关系")) if data.get(key)]
    if data.get("id_number"):
        from fangpin.accounts.masking import show_id_number

        shown.insert(1, ("身份证号", show_id_number(user, data["id_number"])))
    return render(request, "followup/monthly/member_change_detail.html", {
        "c": change, "text": members.describe(user, change), "person": shown,
        "joining": change.kind in JOINING_KINDS, "errors": errors,
        "can_decide": user.role in members.DECIDE_ROLES and change.status == MemberChangeStatus.PROPOSED,
    }, status=status)


@login_required
@require_POST
def member_change_decide(request, pk):
    user = request.user
    change = get_visible(MemberChange.objects.select_related("household", "member", "visit"), user, pk,
                         not_found="变动记录不存在或不在您的管辖范围内")
    action = request.POST.get("action")
    note = scrub(request.POST.get("note", ""))
    try:
        with web_source(request):
            if action == "verify":
                members.verify(user, change, note=note)
                messages.success(request, "已核实，家庭成员登记已更新")
            elif action == "reject":
                members.reject(user, change, note)
                messages.success(request, "已驳回该变动")
            else:
                raise ValidationError({"__all__": "请选择核实或驳回"})
    except ValidationError as exc:
        change.refresh_from_db()
        errors = {k: v[0] for k, v in exc.message_dict.items()} if hasattr(exc, "error_dict") else {
            "__all__": exc.messages[0]}
        return _detail(request, change, errors, status=200)
    return redirect("followup:member_change_detail", pk=change.pk)
