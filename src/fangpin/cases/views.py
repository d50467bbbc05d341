"""Pages of the identification procedure: lists, case timeline, one phone-sized form per step,
batch notices, and the public status lookup. Every write calls ``fangpin.cases.services``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from fangpin.accounts.masking import mask_text
from fangpin.accounts.scoping import roles_text
from fangpin.areas.models import Division
from fangpin.audit.models import Event
from fangpin.audit.presentation import present_events
from fangpin.policy.procedures import LEVEL_LABELS, LEVELS, UNITS, parse_procedure
from fangpin.policy.profiles import ProfileError
from fangpin.profiles.services import profile_for_county, today
from fangpin.registry.panels import badges_for
from fangpin.registry.queries import HouseholdFilters, heads_for, search_households
from fangpin.registry.selectors import get_household_for
from fangpin.web import apply_errors, profiles_for_user, web_source

from . import forms, services
from .models import CaseStatus, CaseStep, Phase
from .selectors import (
    cases_visible_to,
    get_attachment_for,
    get_case_for,
    get_notice_for,
    get_objection_for,
    notice_entries_for,
    notices_visible_to,
    overdue_cases,
    pending_for,
    public_status_for,
    remaining_text,
    responsible_division,
    timeline,
)

STATUS_BADGE = {CaseStatus.OPEN: "pending", CaseStatus.FILED: "done", CaseStatus.REJECTED: "rejected"}
STATUS_LOOKUP_LIMIT = 10  # public status lookups per address per window
STATUS_LOOKUP_WINDOW = 600  # seconds


def _category_choices(profile):
    names = profile.category_names()
    return [(c, names[c]) for c in profile.monitored_categories()]


def _decorate(user, cases, day):
    cases = list(cases)
    heads = heads_for([c.household for c in cases])
    badges = badges_for(user, [c.household_id for c in cases])
    for c in cases:
        c.household_badges = badges.get(c.household_id, [])
        head = heads.get(c.household_id)
        c.head_name = head.name if head else "—"
        step = c.current_step_def
        c.step_name = step.name if step else ""
        c.badge = STATUS_BADGE[c.status]
        c.overdue = bool(c.current_due_on and c.current_due_on < day)
        c.remaining = remaining_text(c.current_due_on, day, step.deadline_unit if step else "working_days")
        c.phase_label = c.get_phase_display() if c.phase else ""
    return cases


# --- lists ----------------------------------------------------------------------------------------


@login_required
def case_list(request):
    user, day = request.user, today()
    params = services.scrub(request.GET.dict())
    qs = cases_visible_to(user).select_related("household")
    status = params.get("status", "")
    if status in CaseStatus.values:
        qs = qs.filter(status=status)
    step = params.get("step", "").strip()
    if step:
        qs = qs.filter(current_step=step)
    if params.get("overdue"):
        qs = qs.filter(status=CaseStatus.OPEN, current_due_on__lt=day)
    q = params.get("q", "").strip()
    if q:
        qs = qs.filter(Q(reference__icontains=q) | Q(household__number__startswith=q) | Q(applicant_name__startswith=q))
    total = qs.count()
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    size = settings.FANGPIN_PAGE_SIZE
    pages = max(1, (total + size - 1) // size)
    page = min(page, pages)
    items = _decorate(user, qs.order_by("-opened_on", "-id")[(page - 1) * size: page * size], day)
    # A user above county level filters by the steps of every county in the area (R-SEC-01).
    profiles = profiles_for_user(user)
    steps = list({s.key: (s.key, s.name) for p in profiles for s in parse_procedure(p.data, "identification").steps}
                 .values())
    counts = {s: cases_visible_to(user).filter(status=s).count() for s in CaseStatus.values}
    query = {k: v for k, v in params.items() if k != "page" and v}
    return render(request, "cases/case_list.html", {
        "cases": items, "total": total, "page": page, "pages": pages, "query": query, "status": status,
        "step": step, "q": q, "steps": steps, "statuses": CaseStatus.choices, "counts": counts,
        "pending": pending_for(user, day)[:50], "can_open": any(_can_open(user, p) for p in profiles),
        "overdue_count": overdue_cases(user, day).count(),
    })


def _can_open(user, profile) -> bool:
    if profile is None:
        return False
    return user.role in parse_procedure(profile.data, "identification").first.roles


@login_required
def overdue_list(request):
    user, day = request.user, today()
    cases = _decorate(user, overdue_cases(user, day)[:500], day)
    codes = set()
    for c in cases:
        c.resp_code, c.resp_level = responsible_division(c)
        codes.add(c.resp_code)
        c.overall_overdue = bool(c.overall_due_on and c.overall_due_on < day)
    names = {d.code: d.full_name() for d in Division.objects.filter(code__in=codes)}
    groups: dict[str, list] = {}
    for c in cases:
        c.resp_name = names.get(c.resp_code, c.resp_code)
        groups.setdefault(f"{c.resp_level}级 · {c.resp_name}", []).append(c)
    return render(request, "cases/overdue.html", {"groups": sorted(groups.items()), "total": len(cases), "today": day})


@login_required
def procedure_page(request):
    """What the county's procedures look like: steps, roles, notice days, deadlines (R-ID-03, R-ID-04a)."""
    described = []
    for p in profiles_for_user(request.user):
        proc = parse_procedure(p.data, "identification")
        described.append({
            "profile": p, "proc": proc, "unit": UNITS[proc.total_unit],
            "steps": [{"def": s, "roles": roles_text(s.roles),
                       "level": LEVEL_LABELS[s.level], "deadline": s.deadline_text()} for s in proc.steps],
            "presence": p.param("deliberation.presence_fraction"), "approval": p.param("deliberation.approval_fraction"),
        })
    return render(request, "cases/procedure.html", {"described": described})


# --- opening --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def case_open(request):
    user, day = request.user, today()
    pk = request.GET.get("household") or request.POST.get("household")
    if not pk:
        q = services.scrub(request.GET.get("q", "")).strip()
        results = []
        if q:
            found = list(search_households(user, HouseholdFilters(q=q))[:20])
            heads = heads_for(found)
            results = [{"h": h, "head": heads.get(h.pk)} for h in found]
        return render(request, "cases/open_pick.html", {"q": q, "results": results})
    household = get_household_for(user, pk)
    profile = profile_for_county(household.division_code)
    if not _can_open(user, profile):
        raise PermissionDenied("您的角色不能受理识别申请")
    members = household.members.filter(active=True).order_by("relation_order")
    initial = {"application_date": day, "consent_date": day, "discovered_on": day, "with_application": True}
    head = household.head()
    if head:
        initial["applicant_id"] = str(head.pk)
    form = forms.OpenCaseForm(request.POST or None, request.FILES or None, members=members,
                              categories=_category_choices(profile), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.payload()
        source = data.pop("source")
        lead = {k: data.pop(k) for k in ("lead_ref", "lead_note", "discovered_on")}
        with_app = data.pop("with_application") or source == "application"
        try:
            with web_source(request):
                result = services.open_case(
                    user, household, source=source, application=data if with_app else None,
                    lead_ref=lead["lead_ref"], lead_note=lead["lead_note"], discovered_on=lead["discovered_on"] or None,
                    files=form.cleaned_data["attachments"] if with_app else (),
                )
            messages.success(request, result.message)
            return redirect("cases:case_detail", pk=result.case.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "cases/step_form.html", {
        "form": form, "title": f"受理识别申请 · 户{household.number}", "household": household, "head": head,
        "back": reverse("registry:household_detail", args=[household.pk]), "multipart": True,
        "hidden": {"household": household.pk},
    })


# --- case page ------------------------------------------------------------------------------------


@login_required
def case_detail(request, pk):
    user, day = request.user, today()
    case = get_case_for(user, pk)
    proc = case.proc
    rows = timeline(case)
    names = _category_names(case)
    for r in rows:
        step = proc.step(r.key)
        r.badge = {"done": "done", "rejected": "rejected", "returned": "rejected"}.get(r.status, "pending")
        r.overdue = bool(r.due_on and ((r.completed_on or day) > r.due_on))
        r.remaining = remaining_text(r.due_on, day, step.deadline_unit) if r.status == "current" else ""
        r.level = LEVEL_LABELS[step.level]
        r.roles = roles_text(step.roles)
        r.entries = [(label, mask_text(user, value)) for label, value in _evidence(r, names)]
        r.outcome = mask_text(user, r.outcome)
        r.shown_objections = [_shown_objection(user, o) for o in r.objections.all()]
    upcoming = []
    if case.is_open:
        i = proc.index(case.current_step)
        upcoming = [{"name": s.name, "level": LEVEL_LABELS[s.level], "deadline": s.deadline_text(),
                     "roles": roles_text(s.roles)} for s in proc.steps[i + 1:]]
    step = case.current_step_def
    current_row = next((r for r in rows if r.status == "current"), None)
    can_act = bool(step and user.role in step.roles)
    events = present_events(user, Event.objects.filter(object_type="Case", object_id=str(case.pk)).order_by("-at", "-id")[:100])
    head = case.household.head()
    return render(request, "cases/case_detail.html", {
        "case": case, "rows": rows, "upcoming": upcoming, "step": step, "current_row": current_row,
        "can_act": can_act, "can_return": bool(can_act and proc.index(step.key) > proc.index(proc.reverify_step)),
        "events": events, "head": head, "badge": STATUS_BADGE[case.status], "today": day,
        "remaining": remaining_text(case.current_due_on, day, step.deadline_unit if step else "working_days"),
        "overall_remaining": remaining_text(case.overall_due_on, day, proc.total_unit) if case.is_open else "",
        "overall_overdue": bool(case.is_open and case.overall_due_on and case.overall_due_on < day),
        "eligibility": case.eligibility, "category_name": _category_name(case),
        "open_objections": [_shown_objection(user, o) for o in case.objections.filter(outcome="")],
        "shown": {f: mask_text(user, getattr(case, f)) for f in ("reasons", "rejection_reason", "lead_note")},
        "can_enter_system": case.status == CaseStatus.FILED and not case.system_entered_on and user.role in proc.entry_roles,
        "entry_overdue": bool(case.system_entry_due_on and not case.system_entered_on and day > case.system_entry_due_on),
        "can_announce": case.status == CaseStatus.FILED and not case.announced and user.role in proc.steps[-1].roles,
        "final_key": proc.steps[-1].key,
    })


def _shown_objection(user, objection):
    objection.shown_content = mask_text(user, objection.content)
    objection.shown_resolution = mask_text(user, objection.resolution)
    return objection


def _category_names(case) -> dict:
    try:
        return profile_for_county(case.division_code).category_names()
    except ProfileError:  # a profile removed later must not break the history page
        return {}


def _category_name(case):
    return _category_names(case).get(case.category, case.category) if case.category else ""


LABELS = {
    "applicant": "申请人", "application_date": "申请日期", "reasons": "申请理由", "risk_types": "风险类型",
    "category": "拟纳入类别", "consent_date": "承诺授权书签署", "visit_date": "入户日期", "findings": "核实情况",
    "override_note": "核实通过依据", "reason": "理由", "meeting_date": "会议日期", "group_name": "村民小组",
    "attendees": "到会人员", "minutes": "评议情况", "checked_on": "比对日期", "conclusion": "比对结论",
    "note": "会议情况", "decided_by": "研究确定登记人",
}


def _evidence(row: CaseStep, category_names: dict) -> list[tuple[str, str]]:
    p = row.payload or {}
    out = []
    for key, label in LABELS.items():
        value = p.get(key)
        if value in (None, "", []):
            continue
        if key == "category":
            value = category_names.get(value, value)
        if isinstance(value, list):
            value = "、".join(map(str, value))
        out.append((label, str(value)))
    if p.get("verifiers"):
        out.append(("核查组", "、".join(f"{v['name']}（{v['unit']}）" if v.get("unit") else v["name"] for v in p["verifiers"])))
    if p.get("counts"):
        parts = [f"{c['name']}应到{c['expected']}实到{c['present']}" for c in p["counts"].values()]
        res = p.get("result", {})
        verdict = "有效" if res.get("valid") else "无效"
        passed = "通过" if res.get("passed") else "未通过"
        out.append(("表决", f"{'，'.join(parts)}；赞成{p.get('approvals')}人；会议{verdict}，评议{passed}"))
    for meeting in p.get("invalid_meetings", []):
        res = meeting.get("result", {})
        out.append(("无效会议", f"{meeting.get('meeting_date')}：应到{res.get('expected')}人，实到{res.get('present')}人，不足法定人数"))
    if p.get("items"):
        from .services import CROSS_CHECK_RESULTS

        out.append(("比对结果", "；".join(f"{v['name']}：{CROSS_CHECK_RESULTS.get(v['result'], v['result'])}"
                                      f"{('（' + v['detail'] + '）') if v.get('detail') else ''}" for v in p["items"].values())))
    if p.get("decision"):
        out.append(("结论", "同意" if p["decision"] == "approve" else "不同意"))
    return out


# --- step forms -----------------------------------------------------------------------------------

MEETING_LABELS = {"village_decision": "村两委会议日期", "township_approval": "乡镇审定会议日期", "county_filing": "县级备案日期"}


def _form_for(case, step, user, data=None, files=None):
    day = today()
    profile = profile_for_county(case.division_code)
    initial = {"version": case.version}
    kind = step.kind
    if kind == "application":
        initial.update(application_date=day, consent_date=day)
        head = case.household.head()
        if head:
            initial["applicant_id"] = str(head.pk)
        return forms.ApplicationForm(data, files, initial=initial, members=case.household.members.filter(active=True),
                                     categories=_category_choices(profile))
    if kind == "verification":
        initial.update(visit_date=day, verifiers=f"{user} {user.role_label}\n")
        return forms.VerificationForm(data, files, initial=initial)
    if kind == "deliberation":
        initial.update(meeting_date=day, group_name=case.household.group.name if case.household.group_id else "")
        return forms.DeliberationForm(data, files, initial=initial, groups=profile.param("deliberation.participant_groups"))
    if kind == "cross_check":
        initial.update(checked_on=day)
        for code, item in services.cross_check_prefill(case).items():
            initial[f"result_{code}"] = item.get("result")
            initial[f"detail_{code}"] = item.get("detail")
            initial["source"] = "warnings"
        return forms.CrossCheckForm(data, files, initial=initial, items=profile.param("cross_check.items"))
    initial.update(meeting_date=day, category=case.category)
    return forms.DecisionForm(data, files, initial=initial, categories=_category_choices(profile),
                              meeting_label=MEETING_LABELS.get(kind, "会议日期"))


@login_required
@require_http_methods(["GET", "POST"])
def step_form(request, pk, step_key):
    user = request.user
    case = get_case_for(user, pk)
    if not case.proc.has_step(step_key):
        raise Http404("本程序没有该步骤")
    step = case.proc.step(step_key)
    if user.role not in step.roles:
        raise PermissionDenied(f"“{step.name}”只能由{roles_text(step.roles)}办理")
    if request.method == "GET" and (not case.is_open or case.current_step != step_key or case.phase):
        messages.info(request, f"当前不能办理“{step.name}”")
        return redirect("cases:case_detail", pk=case.pk)
    form = _form_for(case, step, user, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            with web_source(request):
                result = services.act(user, case, step_key, form.payload(), expected_version=form.cleaned_data.get("version"),
                                      files=form.cleaned_data.get("attachments") or ())
            messages.success(request, result.message)
            return redirect("cases:case_detail", pk=case.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    elif request.method == "POST":
        pass  # form errors (file fields) are shown below
    ctx = {"form": form, "title": step.name, "case": case, "step": step, "multipart": True,
           "back": reverse("cases:case_detail", args=[case.pk]), "eligibility": case.eligibility,
           "deadline": step.deadline_text()}
    if step.kind in ("deliberation", "village_decision", "township_approval", "county_filing"):
        ctx["cross_check_row"] = case.steps.filter(kind="cross_check", status="done").order_by("-id").first()
    if step.kind == "deliberation":
        profile = profile_for_county(case.division_code)
        ctx["quorum_hint"] = (f"应到人数的{profile.param('deliberation.presence_fraction')}以上到会会议有效；"
                              f"赞成超过实到人数的{profile.param('deliberation.approval_fraction')}为通过")
    return render(request, "cases/step_form.html", ctx)


def _simple_post(request, case, form, action, success_redirect=None):
    if request.method == "POST" and form.is_valid():
        try:
            with web_source(request):
                result = action(form.cleaned_data)
            messages.success(request, getattr(result, "message", None) or "已保存")
            return redirect(success_redirect or reverse("cases:case_detail", args=[case.pk]))
        except ValidationError as exc:
            apply_errors(form, exc)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def reject(request, pk):
    case = get_case_for(request.user, pk)
    form = forms.ReasonForm(request.POST or None, initial={"version": case.version})
    form.fields["reason"].label = "不予纳入理由（申请人可凭受理编号查询）"
    done = _simple_post(request, case, form, lambda d: services.reject_case(
        request.user, case, reason=d["reason"], expected_version=d.get("version")))
    return done or render(request, "cases/step_form.html", {
        "form": form, "title": "不予纳入", "case": case, "back": reverse("cases:case_detail", args=[case.pk]),
        "danger": True})


@login_required
@require_http_methods(["GET", "POST"])
def send_back(request, pk):
    case = get_case_for(request.user, pk)
    form = forms.ReasonForm(request.POST or None, initial={"version": case.version})
    form.fields["reason"].label = "存疑情况（退回后从入户核实重新办理）"
    done = _simple_post(request, case, form, lambda d: services.send_back(
        request.user, case, reason=d["reason"], expected_version=d.get("version")))
    return done or render(request, "cases/step_form.html", {
        "form": form, "title": "退回重新核实", "case": case, "back": reverse("cases:case_detail", args=[case.pk])})


@login_required
@require_http_methods(["GET", "POST"])
def objection_add(request, pk):
    case = get_case_for(request.user, pk)
    form = forms.ObjectionForm(request.POST or None, initial={"received_on": today()})

    def action(d):
        services.record_objection(request.user, case, content=d["content"], received_on=d["received_on"],
                                  raised_by=d["raised_by"])
        return services.Result(case, "已登记异议；异议处理前不能结束本户公示")

    done = _simple_post(request, case, form, action)
    return done or render(request, "cases/step_form.html", {
        "form": form, "title": "登记公示异议", "case": case, "back": reverse("cases:case_detail", args=[case.pk])})


@login_required
@require_http_methods(["GET", "POST"])
def objection_resolve(request, pk):
    objection = get_objection_for(request.user, pk)
    case = get_case_for(request.user, objection.case_id)
    form = forms.ResolveForm(request.POST or None)
    done = _simple_post(request, case, form, lambda d: services.resolve_objection(
        request.user, objection, outcome=d["outcome"], resolution=d["resolution"]))
    return done or render(request, "cases/step_form.html", {
        "form": form, "title": "处理公示异议", "case": case, "objection": objection,
        "back": reverse("cases:case_detail", args=[case.pk])})


@login_required
@require_http_methods(["GET", "POST"])
def system_entry(request, pk):
    case = get_case_for(request.user, pk)
    form = forms.SystemEntryForm(request.POST or None, initial={"entered_on": today()})
    done = _simple_post(request, case, form, lambda d: services.record_system_entry(
        request.user, case, entered_on=d["entered_on"]))
    return done or render(request, "cases/step_form.html", {
        "form": form, "title": "登记录入全国防返贫监测信息系统", "case": case,
        "back": reverse("cases:case_detail", args=[case.pk])})


@login_required
def receipt(request, pk):
    case = get_case_for(request.user, pk)
    return render(request, "cases/receipt.html", {
        "case": case, "status_url": request.build_absolute_uri(reverse("cases:public_status"))})


@login_required
def attachment(request, pk):
    att = get_attachment_for(request.user, pk)
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name)


# --- notices --------------------------------------------------------------------------------------


@login_required
def notice_list(request):
    user = request.user
    notices = list(notices_visible_to(user).order_by("-starts_on", "-id")[:200])
    day = today()
    for n in notices:
        n.count = n.entries.filter(withdrawn=False).count()
        n.period_over = day > n.ends_on
    steps = _notice_steps(user)
    return render(request, "cases/notice_list.html", {"notices": notices, "steps": steps, "today": day})


def _notice_steps(user):
    """Notice steps the user may publish, over every county of the user's area (R-SEC-01)."""
    steps = {}
    for profile in profiles_for_user(user):
        for s in parse_procedure(profile.data, "identification").steps:
            if (s.has_notice or s.announces) and user.role in s.roles:
                steps.setdefault(s.key, s)
    return list(steps.values())


@login_required
@require_http_methods(["GET", "POST"])
def notice_new(request):
    user, day = request.user, today()
    steps = _notice_steps(user)
    key = request.GET.get("step") or request.POST.get("step") or (steps[0].key if steps else "")
    step = next((s for s in steps if s.key == key), None)
    if step is None:
        raise PermissionDenied("您的角色不能发布该公示或公告")
    qs = cases_visible_to(user).select_related("household")
    if step.announces:
        qs = qs.filter(status=CaseStatus.FILED, announced=False)
    else:
        qs = qs.filter(status=CaseStatus.OPEN, current_step=step.key, phase=Phase.DECIDED)
    candidates = _decorate(user, qs.order_by("division_code", "pk")[:500], day)
    length = LEVELS[step.level]
    names = {d.code: d.full_name() for d in Division.objects.filter(code__in={c.division_code[:length] for c in candidates})}
    groups: dict[str, dict] = {}
    for c in candidates:
        code = c.division_code[:length]
        groups.setdefault(code, {"code": code, "name": names.get(code, code), "cases": []})["cases"].append(c)
    errors = []
    starts_on = request.POST.get("starts_on") or day.isoformat()
    selected = request.POST.getlist("cases")
    if request.method == "POST":
        try:
            with web_source(request):
                notice = services.publish_notice(user, step.key, selected, starts_on=starts_on)
            messages.success(request, f"已发布{notice.get_kind_display()} {notice.number}，请打印张贴")
            return redirect("cases:notice_detail", pk=notice.pk)
        except ValidationError as exc:
            errors = [m for msgs in exc.message_dict.values() for m in msgs] if hasattr(exc, "error_dict") else exc.messages
    days = _notice_days(user, step)
    return render(request, "cases/notice_new.html", {
        "step": step, "steps": steps, "groups": list(groups.values()), "starts_on": starts_on, "errors": errors,
        "selected": set(selected), "days": days,
    })


def _notice_days(user, step) -> str:
    """The notice length of ``step`` in the user's counties ("5至7" when the counties differ; each batch
    is checked against its own county's procedure when published)."""
    days = set()
    for profile in profiles_for_user(user):
        proc = parse_procedure(profile.data, "identification")
        if proc.has_step(step.key):
            days.add(proc.step(step.key).notice_days if step.has_notice else proc.announcement_days)
    if not days:
        return ""
    return str(min(days)) if len(days) == 1 else f"{min(days)}至{max(days)}"


@login_required
@require_http_methods(["GET", "POST"])
def notice_detail(request, pk):
    user, day = request.user, today()
    notice = get_notice_for(user, pk)
    if request.method == "POST":
        try:
            with web_source(request):
                result = services.close_notice(user, notice)
            text = f"已结束公示：{len(result['completed'])}户进入下一步"
            if result["blocked"]:
                text += f"；{len(result['blocked'])}户有未处理的异议，处理后方可进入下一步（{'、'.join(result['blocked'])}）"
            messages.success(request, text)
            return redirect("cases:notice_detail", pk=notice.pk)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        return redirect("cases:notice_detail", pk=notice.pk)
    entries = list(notice_entries_for(user, notice))
    for e in entries:
        e.open_objections = e.case.objections.filter(notice=notice, outcome="").count()
        e.objections = e.case.objections.filter(notice=notice).count()
    earliest = notice.ends_on.toordinal() + 1
    return render(request, "cases/notice_detail.html", {
        "notice": notice, "entries": entries, "today": day, "can_close": notice.gating and notice.status == "open",
        "period_over": day.toordinal() >= earliest,
    })


@login_required
def notice_print(request, pk):
    notice = get_notice_for(request.user, pk)
    entries = [e for e in notice_entries_for(request.user, notice) if not e.withdrawn]
    heads = heads_for([e.case.household for e in entries])
    profile = profile_for_county(notice.division_code)
    names = profile.category_names()
    rows = []
    for e in entries:
        h = e.case.household
        head = heads.get(h.pk)
        rows.append({
            "position": len(rows) + 1,
            "group": h.group.name if h.group_id else "",
            "head": head.name if head else "",
            "size": h.members.filter(active=True).count(),
            "category": names.get(e.case.category, e.case.category),
            "risks": "、".join(e.case.risk_types),
        })
    return render(request, "cases/notice_print.html", {"notice": notice, "rows": rows})


# --- public status (no login) ---------------------------------------------------------------------


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


@require_http_methods(["GET", "POST"])
def public_status_page(request):
    """Applicants check status and rejection reason with reference number + check code."""
    form = forms.StatusForm(request.POST or None)
    status = None
    error = ""
    if request.method == "POST":
        key = f"case-status:{_client_ip(request)}"
        count = cache.get(key, 0)
        if count >= STATUS_LOOKUP_LIMIT:
            error = "查询过于频繁，请10分钟后再试"
        else:
            cache.set(key, count + 1, STATUS_LOOKUP_WINDOW)
            if form.is_valid():
                status = public_status_for(form.cleaned_data["reference"], form.cleaned_data["check_code"])
                if status is None:
                    error = "未找到该受理编号，或查询码不正确"
    return render(request, "cases/public_status.html", {"form": form, "status": status, "error": error})
