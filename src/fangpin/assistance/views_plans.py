"""Pages for assistance contacts and plans (R-AID-03 … R-AID-05, R-AID-07, R-ID-07).

Phone first: a contact's home is the list of their households; the household's plan page shows the
contact, the plan with its clocks, each measure with the next step for the user's role, the R-AID-04
hints and the proposed policies with the reasons they match. Every write calls
``fangpin.assistance.plans`` or ``fangpin.assistance.contacts``; every object is fetched through a
scoped getter (404 outside the user's area). A refused action shows its Chinese message and changes
nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from fangpin.accounts.masking import mask_text
from fangpin.accounts.roles import Role
from fangpin.profiles.services import profile_for_county, today
from fangpin.registry.panels import badges_for
from fangpin.registry.queries import paginate
from fangpin.registry.selectors import get_household_for
from fangpin.validation import scrub
from fangpin.web import web_source

from . import contacts, matching, plans
from .models import Handler, ListStatus, MeasureStatus, PlanStatus


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join(m for msgs in exc.message_dict.values() for m in msgs)
    return "；".join(exc.messages)


def _run(request, call, back: str):
    """Run a service call for a page POST: its message on success, its Chinese refusal otherwise."""
    try:
        with web_source(request):
            result = call()
        message = getattr(result, "message", None) or "已保存"
        if getattr(result, "changed", True):
            messages.success(request, message)
        else:
            messages.info(request, message)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "没有权限")
    return redirect(back)


def _post(request, key: str) -> str:
    return scrub(request.POST.get(key, ""))


def _back_to(household_id) -> str:
    return reverse("assistance:household_plan", args=[household_id])


# --- the household's plan --------------------------------------------------------------------------


def _measure_actions(user, plan, m) -> list[str]:
    role = user.role
    acts = []
    if plan.status in plans.EDITABLE and m.status == MeasureStatus.PLANNED and role in plans.DRAFT_ROLES:
        acts.append("remove")
    if plan.status == PlanStatus.APPROVED:
        if m.handler == Handler.DEPARTMENT and m.status == MeasureStatus.PLANNED and role in plans.SUBMIT_ROLES:
            acts.append("apply")
        ready = (m.handler == Handler.TOWNSHIP and m.status == MeasureStatus.PLANNED) or (
            m.handler == Handler.DEPARTMENT and m.status == MeasureStatus.APPROVED)
        if ready and role in plans.CARRY_OUT_ROLES:
            acts.append("carry_out")
    return acts


@login_required
def household_plan(request, household_id):
    household = get_household_for(request.user, household_id)
    user, day = request.user, today()
    plan = plans.open_plan(household)
    assignment = contacts.current_assignment(household)
    profile = profile_for_county(household.division_code)
    context = {
        "h": household, "plan": plan, "assignment": assignment, "assignments": list(contacts.history(household)[:10]),
        "category_name": profile.category_names().get(household.category, household.category),
        "can_assign": user.role in contacts.ASSIGN_ROLES and household.monitoring_status == "monitored",
        "can_start": (plan is None and user.role in plans.SUBMIT_ROLES
                      and household.monitoring_status == "monitored"),
        "today": day,
    }
    if plan is not None:
        measures = list(plans.plan_measures(plan))
        for m in measures:
            m.shown_note = mask_text(user, m.note)
            m.actions = _measure_actions(user, plan, m)
            m.overdue = bool(m.due_on and m.status == MeasureStatus.PLANNED and m.due_on < day)
        facts = matching.household_facts(household, today=day)
        catalogue = plan.catalogue if plan.catalogue and plan.catalogue.status == ListStatus.PUBLISHED else None
        catalogue = catalogue or plans.current_catalogue(household.division_code, day.year)
        editable = plan.status in plans.EDITABLE and user.role in plans.DRAFT_ROLES
        chosen = {m.policy_id for m in measures if m.status not in matching.INACTIVE_STATUSES}
        context.update({
            "measures": measures,
            "national": list(household.measures.filter(source="national").order_by("category")),
            "flags": matching.check_plan(facts, measures),
            "catalogue": catalogue,
            "proposals": [p for p in matching.propose(household, catalogue, today=day, facts=facts)
                          if p.policy.pk not in chosen][:12] if catalogue else [],
            "policies": list(catalogue.policies.order_by("position", "pk")) if (catalogue and editable) else [],
            "members": facts.members,
            "editable": editable,
            "can_submit": plan.status in plans.EDITABLE and user.role in plans.SUBMIT_ROLES,
            "can_approve": plan.status == PlanStatus.SUBMITTED and user.role in plans.APPROVE_ROLES,
            "can_reopen": plan.status == PlanStatus.APPROVED and user.role in plans.SUBMIT_ROLES,
            "can_enter": plan.status == PlanStatus.APPROVED and user.role in plans.SUBMIT_ROLES,
            "can_review": user.role in plans.REVIEW_ROLES,
            "plan_remaining": plans.remaining_text(plan.due_on, day) if plan.status in plans.OPEN_PLAN else "",
            "entry_remaining": plans.remaining_text(plan.entry_due_on, day) if not plan.entered_on else "",
            "returned_reason": mask_text(user, plan.returned_reason),
            "developmental_note": mask_text(user, plan.developmental_note),
        })
    return render(request, "assistance/plans/household.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contact_assign(request, household_id):
    household = get_household_for(request.user, household_id)
    if request.method == "POST":
        return _run(request, lambda: _assign(request, household), _back_to(household.pk))
    current = contacts.current_assignment(household)
    limit = contacts.max_households(household.division_code)
    people = contacts.candidates(household, actor=request.user)
    return render(request, "assistance/plans/contact_form.html", {
        "h": household, "current": current, "people": people, "limit": limit, "today": today(),
        "back": _back_to(household.pk)})


def _assign(request, household):
    row, changed = contacts.assign_contact(request.user, household, _post(request, "contact"),
                                           on=_post(request, "assigned_on") or None, reason=_post(request, "reason"))
    return plans.Result(row, f"已确定帮扶联系人：{row.contact}" if changed else "帮扶联系人未变化", changed)


# --- plan actions (POST only) ----------------------------------------------------------------------


def _plan_action(request, plan_id, call):
    plan = plans.get_plan_for(request.user, plan_id)
    return _run(request, lambda: call(plan), _back_to(plan.household_id))


@login_required
@require_POST
def plan_measure_add(request, plan_id):
    return _plan_action(request, plan_id, lambda p: plans.add_measure(
        request.user, p, _post(request, "policy"), member=_post(request, "member") or None,
        note=_post(request, "note"), version=_post(request, "version")))


@login_required
@require_POST
def plan_start(request, household_id):
    household = get_household_for(request.user, household_id)
    return _run(request, lambda: plans.start_plan(request.user, household, on=_post(request, "started_on") or None),
                _back_to(household.pk))


@login_required
@require_POST
def plan_submit(request, plan_id):
    return _plan_action(request, plan_id, lambda p: plans.submit_plan(request.user, p, version=_post(request, "version")))


@login_required
@require_POST
def plan_approve(request, plan_id):
    return _plan_action(request, plan_id, lambda p: plans.approve_plan(
        request.user, p, on=_post(request, "approved_on") or None, version=_post(request, "version")))


@login_required
@require_POST
def plan_return(request, plan_id):
    return _plan_action(request, plan_id, lambda p: plans.return_plan(
        request.user, p, _post(request, "reason"), version=_post(request, "version")))


@login_required
@require_POST
def plan_reopen(request, plan_id):
    return _plan_action(request, plan_id, lambda p: plans.reopen_plan(
        request.user, p, _post(request, "reason"), version=_post(request, "version")))


@login_required
@require_POST
def plan_entry(request, plan_id):
    return _plan_action(request, plan_id, lambda p: plans.record_entry(
        request.user, p, _post(request, "entered_on") or None, version=_post(request, "version")))


@login_required
@require_POST
def plan_developmental(request, plan_id):
    return _plan_action(request, plan_id, lambda p: plans.mark_developmental(
        request.user, p, found=_post(request, "found"), note=_post(request, "note"),
        on=_post(request, "reviewed_on") or None, version=_post(request, "version")))


def _measure_action(request, measure_id, call):
    measure = plans.get_plan_measure_for(request.user, measure_id)
    return _run(request, lambda: call(measure), _back_to(measure.household_id))


@login_required
@require_POST
def measure_remove(request, measure_id):
    return _measure_action(request, measure_id, lambda m: plans.remove_measure(request.user, m))


@login_required
@require_POST
def measure_apply(request, measure_id):
    return _measure_action(request, measure_id, lambda m: plans.apply_to_department(
        request.user, m, _post(request, "applied_on") or None))


@login_required
@require_POST
def measure_carry_out(request, measure_id):
    return _measure_action(request, measure_id, lambda m: plans.carry_out(
        request.user, m, _post(request, "carried_out_on") or None, note=_post(request, "note")))


# --- lists -----------------------------------------------------------------------------------------

STATUS_FILTERS = dict(PlanStatus.choices)


@login_required
def plan_list(request):
    user, day = request.user, today()
    status = scrub(request.GET.get("status", ""))
    overdue = request.GET.get("overdue") == "1"
    qs = plans.plans_visible_to(user).select_related("household", "catalogue")
    if status in STATUS_FILTERS:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(status__in=plans.OPEN_PLAN, due_on__lt=day)
    items, total, page, pages = paginate(qs.order_by("due_on", "pk"), request.GET.get("page", 1), 50)
    badges = badges_for(user, [p.household_id for p in items])
    for p in items:
        p.badges = badges[p.household_id]
        p.overdue = bool(p.status in plans.OPEN_PLAN and p.due_on and p.due_on < day)
        p.remaining = plans.remaining_text(p.due_on, day) if p.status in plans.OPEN_PLAN else ""
    return render(request, "assistance/plans/plan_list.html", {
        "items": items, "total": total, "page": page, "pages": pages, "status": status, "overdue": overdue,
        "statuses": PlanStatus.choices})


@login_required
def overdue(request):
    rows = plans.overdue_summary(request.user, today())
    return render(request, "assistance/plans/overdue.html", {"rows": rows, "today": today()})


@login_required
def my_households(request):
    """The contact's own households (phone first), with each plan's state and next deadline."""
    user, day = request.user, today()
    households = list(contacts.households_of(user).order_by("number")[:50])
    open_plans = {p.household_id: p for p in plans.plans_visible_to(user).filter(
        household__in=households).exclude(status=PlanStatus.CLOSED)}
    rows = []
    badges = badges_for(user, [h.pk for h in households])
    for h in households:
        p = open_plans.get(h.pk)
        rows.append({"h": h, "plan": p, "badges": badges[h.pk], "remaining": plans.remaining_text(p.due_on, day)
                     if p and p.status in plans.OPEN_PLAN else ""})
    return render(request, "assistance/plans/my_households.html", {
        "rows": rows, "is_contact": user.role in contacts.CONTACT_ROLES,
        "limit": contacts.max_households(user.scope_code) if len(user.scope_code or "") >= 6 else 2,
        "is_township": user.role == Role.TOWNSHIP_STAFF})
