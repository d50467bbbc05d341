"""Pages for visits, must-visit lists, sweeps and department screenings (R-DISC-05 … R-DISC-07).

Phone first: a grid worker's home is the must-visit list of their grid (overdue first), each row one tap
from the short visit form. Every write calls ``fangpin.followup.services``; every read goes through
``fangpin.followup.selectors`` (404 outside the user's area).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from fangpin.accounts.masking import mask_text
from fangpin.accounts.roles import Role
from fangpin.areas.models import Division
from fangpin.policy.mustvisit import parse, screening_departments
from fangpin.profiles.services import profile_for_county, today
from fangpin.registry.panels import badges_for
from fangpin.registry.queries import household_rows, paginate
from fangpin.registry.selectors import get_household_for
from fangpin.validation import scrub
from fangpin.web import apply_errors, profiles_for_user, web_source

from . import forms, members, services
from .models import SweepStatus
from .selectors import (
    current_quarter,
    decorate_entries,
    get_screening_for,
    get_sweep_for,
    get_visit_for,
    must_visits_for,
    not_reported,
    overdue_cutoff,
    page_of_entries,
    screenings_visible_to,
    sweeps_visible_to,
    visits_visible_to,
)


def _page(request) -> int:
    try:
        return max(1, int(request.GET.get("page") or 1))
    except ValueError:
        return 1


def _safe_next(request, raw) -> str:
    """A page of this site to return to after the form (never another host)."""
    target = scrub(raw or "").strip()
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                                     require_https=request.is_secure()):
        return target
    return ""


def _county_code(user) -> str | None:
    code = user.scope_code or ""
    return code[:6] if len(code) >= 6 else None


def _division_param(user, raw: str) -> str:
    """A division filter inside the user's area (anything else is ignored, never an error that leaks)."""
    code = scrub(raw or "").strip()
    scope = user.scope_code or ""
    return code if code.isdigit() and code.startswith(scope) else ""


# --- must-visit list --------------------------------------------------------------------------------


@login_required
def must_visit_list(request):
    user, day = request.user, today()
    params = scrub(request.GET.dict())
    list_code = params.get("list", "")
    division = _division_param(user, params.get("division", ""))
    overdue_only = bool(params.get("overdue"))
    cutoff = overdue_cutoff(user, day)
    profiles = profiles_for_user(user)
    specs = [s for s in (parse(p.data) for p in profiles) if s]
    lists = {code: name for s in specs for code, name in s.lists.items()}
    if list_code not in lists:
        list_code = ""
    qs = must_visits_for(user, list_code=list_code, division=division,
                         overdue_before=cutoff if overdue_only and cutoff else None)
    items, total, page, pages = page_of_entries(qs, _page(request), settings.FANGPIN_PAGE_SIZE)
    entries = decorate_entries(items, day)
    badges = badges_for(user, [e.household_id for e in entries])
    for e in entries:
        e.household_badges = badges[e.household_id]
    overdue_count = None
    if cutoff:
        overdue_count = total if overdue_only else must_visits_for(
            user, list_code=list_code, division=division, overdue_before=cutoff).count()
    from .models import MustVisitRun

    county = _county_code(user)
    last_run = MustVisitRun.objects.filter(county_code=county).first() if county else None
    query = {k: v for k, v in {"list": list_code, "division": division, "overdue": "1" if overdue_only else ""}.items() if v}
    return render(request, "followup/must_visit_list.html", {
        "entries": entries, "total": total, "page": page, "pages": pages, "lists": lists, "list_code": list_code,
        "overdue_only": overdue_only, "overdue_count": overdue_count, "query": query, "last_run": last_run,
        "interval": profiles[0].param("grid.visit_interval_days") if len(profiles) == 1 else None,
        "can_visit": user.role in services.VISIT_ROLES, "can_lead": services.can_raise_lead(user), "today": day,
        "my_households": _contact_households(user, [e.household_id for e in entries]),
    })


def _contact_households(user, ids) -> set:
    """Of these households, those whose current assistance contact is ``user`` (one query; monthly visit links)."""
    if user.role not in (Role.ASSISTANCE_CONTACT, Role.TOWNSHIP_STAFF) or not ids:
        return set()
    from fangpin.assistance.models import ContactAssignment

    return set(ContactAssignment.objects.filter(contact=user, ended_on__isnull=True, household_id__in=ids)
               .values_list("household_id", flat=True))


# --- visits ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request, pk):
    user = request.user
    household = get_household_for(user, pk)
    if user.role not in services.VISIT_ROLES:
        raise PermissionDenied("您的角色不能录入走访")
    day = today()
    lead_enabled = services.can_raise_lead(user)
    purpose = scrub(request.GET.get("purpose", "")) or ("must_visit" if hasattr(household, "must_visit") else "routine")
    form = forms.VisitForm(request.POST or None, lead_enabled=lead_enabled,
                           initial={"visited_on": day.isoformat(), "mode": "home", "purpose": purpose})
    if request.method == "POST" and form.is_valid():
        try:
            with web_source(request):
                result = services.record_visit(user, household, form.payload(),
                                               raise_lead=bool(form.cleaned_data.get("raise_lead")))
            messages.success(request, result.message)
            return redirect(_safe_next(request, request.POST.get("next")) or reverse("followup:must_visit_list"))
        except ValidationError as exc:
            apply_errors(form, exc)
    heads = household_rows(user, [household])
    reasons = household.must_visit.reasons if hasattr(household, "must_visit") else []
    recent = visits_visible_to(user).filter(household=household).order_by("-visited_on", "-id")[:5]
    return render(request, "followup/visit_form.html", {
        "form": form, "household": household, "row": heads[0], "reasons": reasons, "recent": recent,
        "next": _safe_next(request, request.GET.get("next") or request.POST.get("next")),
    })


@login_required
def visit_list(request):
    user = request.user
    params = scrub(request.GET.dict())
    qs = visits_visible_to(user).select_related("household", "sweep")
    division = _division_param(user, params.get("division", ""))
    if division:
        from fangpin.areas.lookups import prefix_q

        qs = qs.filter(prefix_q("household__division_code", division))
    if params.get("risk"):
        qs = qs.filter(risk_found=True)
    items, total, page, pages = paginate(qs.order_by("-visited_on", "-id"), _page(request), settings.FANGPIN_PAGE_SIZE)
    badges = badges_for(user, [v.household_id for v in items])
    for v in items:
        v.findings_shown = mask_text(user, v.findings)
        v.household_badges = badges[v.household_id]
    query = {k: v for k, v in {"division": division, "risk": params.get("risk", "")}.items() if v}
    return render(request, "followup/visit_list.html", {"visits": items, "total": total, "page": page,
                                                        "pages": pages, "query": query,
                                                        "is_contact": user.role == Role.ASSISTANCE_CONTACT})


@login_required
def visit_detail(request, pk):
    visit = get_visit_for(request.user, pk)
    visit.findings_shown = mask_text(request.user, visit.findings)
    ctx = {"visit": visit}
    if visit.purpose == "monthly":  # the monthly visit's sections (R-TRACK-02)
        from .monthly import BASIC_NEEDS, EFFECTS

        needs = visit.basic_needs or {}
        ctx["needs"] = [(label, needs.get(code)) for code, label in BASIC_NEEDS]
        ctx["needs_note"] = mask_text(request.user, needs.get("note", ""))
        ctx["measures"] = [{**m, "effect_label": EFFECTS.get(m.get("effect"), "—"),
                            "note": mask_text(request.user, m.get("note", ""))} for m in visit.measures_status or []]
        ctx["changes"] = [{"pk": c.pk, "text": members.describe(request.user, c), "status": c.get_status_display()}
                          for c in visit.member_changes.select_related("member")]
        ctx["income"] = visit.income_record
    return render(request, "followup/visit_detail.html", ctx)


# --- sweeps ---------------------------------------------------------------------------------------------


@login_required
def sweep_list(request):
    user = request.user
    sweeps = list(sweeps_visible_to(user).select_related("county")[:50])
    county = _county_code(user)
    return render(request, "followup/sweep_list.html", {
        "sweeps": sweeps, "can_open": user.role in services.SWEEP_ROLES and county is not None and len(user.scope_code) == 6,
    })


@login_required
@require_http_methods(["GET", "POST"])
def sweep_new(request):
    user = request.user
    if user.role not in services.SWEEP_ROLES or len(user.scope_code or "") != 6:
        raise PermissionDenied("拉网式排查由县乡村振兴局发起")
    county = Division.objects.get(code=user.scope_code)
    day = today()
    form = forms.SweepForm(request.POST or None, initial={"name": f"{day.year}年度防返贫拉网式排查",
                                                          "starts_on": day.isoformat()})
    if request.method == "POST" and form.is_valid():
        try:
            with web_source(request):
                result = services.open_sweep(user, county, form.cleaned_data)
            messages.success(request, result.message)
            return redirect("followup:sweep_detail", pk=result.obj.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "followup/simple_form.html", {"form": form, "title": "发起拉网式排查",
                                                         "back": reverse("followup:sweep_list")})


@login_required
def sweep_detail(request, pk):
    from .selectors import coverage, missing_households

    user = request.user
    sweep = get_sweep_for(user, pk)
    scope = user.scope_code or sweep.division_code
    if len(scope) < 6:
        scope = sweep.division_code
    parent = _division_param(user, request.GET.get("division", "")) or scope
    if not parent.startswith(sweep.division_code):
        parent = scope
    cover = coverage(sweep, user, parent)
    missing, total, page, pages = paginate(missing_households(sweep, user, parent), _page(request), 20)
    parent_div = Division.objects.filter(code=parent).first()
    return render(request, "followup/sweep_detail.html", {
        "sweep": sweep, "cover": cover, "missing": household_rows(user, missing), "missing_total": total,
        "page": page, "pages": pages, "parent": parent_div, "parent_code": parent,
        "query": {"division": parent} if parent != scope else {},
        "can_close": user.role in services.SWEEP_ROLES and sweep.status == SweepStatus.OPEN,
        "up": parent[: {17: 12, 15: 12, 12: 9, 9: 6}.get(len(parent), 6)] if parent != scope else "",
    })


@login_required
@require_POST
def sweep_close(request, pk):
    sweep = get_sweep_for(request.user, pk)
    try:
        with web_source(request):
            result = services.close_sweep(request.user, sweep)
        messages.success(request, result.message)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("followup:sweep_detail", pk=sweep.pk)


# --- department screenings ---------------------------------------------------------------------------------


@login_required
def screening_list(request):
    user, day = request.user, today()
    county = _county_code(user)
    year, quarter = current_quarter(day)
    try:
        year = int(request.GET.get("year") or year)
        quarter = int(request.GET.get("quarter") or quarter)
    except ValueError:
        pass
    quarter = quarter if 1 <= quarter <= 4 else current_quarter(day)[1]
    rows = list(screenings_visible_to(user).filter(year=year, quarter=quarter).order_by("department", "-id"))
    for r in rows:
        r.note_shown = mask_text(user, r.note)
    missing = not_reported(county, year, quarter) if county else []
    expected = screening_departments(profile_for_county(county).data) if county else []
    return render(request, "followup/screening_list.html", {
        "rows": rows, "missing": missing, "expected": expected, "year": year, "quarter": quarter,
        "can_submit": user.role in services.SCREENING_ROLES and county is not None,
        "years": list(range(day.year, 2020, -1)),
    })


@login_required
@require_http_methods(["GET", "POST"])
def screening_new(request):
    user, day = request.user, today()
    county_code = _county_code(user)
    if user.role not in services.SCREENING_ROLES or county_code is None:
        raise PermissionDenied("行业排查由行业部门（或县乡村振兴局代为）报送")
    county = Division.objects.get(code=county_code)
    departments = screening_departments(profile_for_county(county_code).data)
    fixed = user.department if user.role == Role.DEPARTMENT_OFFICER else ""
    year, quarter = current_quarter(day)
    form = forms.ScreeningForm(request.POST or None, request.FILES or None, departments=departments,
                               fixed_department=fixed, initial={"year": year, "quarter": str(quarter)})
    if request.method == "POST" and form.is_valid():
        try:
            with web_source(request):
                result = services.submit_screening(user, county, form.payload(), upload=form.cleaned_data.get("file"))
            messages.success(request, result.message)
            return redirect("followup:screening_list")
        except ValidationError as exc:
            apply_errors(form, exc)
    title = f"报送行业排查 · {fixed}" if fixed else "报送行业排查"
    return render(request, "followup/simple_form.html", {"form": form, "title": title, "multipart": True,
                                                         "back": reverse("followup:screening_list")})


@login_required
def screening_file(request, pk):
    row = get_screening_for(request.user, pk)
    if not row.file:
        raise Http404("该报送没有上传文件")
    return FileResponse(row.file.open("rb"), as_attachment=True, filename=row.file_name or "排查报告")
