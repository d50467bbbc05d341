"""Pages for the village half-monthly analysis, the township monthly dispatch, their meetings, and the
一户一码 door card (R-TRACK-03, issue items 5 and 7).

Reads go through ``fangpin.followup.analysis`` (404 outside the user's area); the one write (a meeting's
record) through ``analysis.record_meeting``. Print views reuse static/js/print.js; no inline script.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import in_scope, scope_filter
from fangpin.areas.models import Division, Level
from fangpin.profiles.services import today
from fangpin.registry.queries import household_rows, paginate
from fangpin.registry.selectors import get_household_for, households_visible_to
from fangpin.validation import scrub
from fangpin.web import web_source

from . import analysis, colour
from .models import MeetingKind

CARDS_PER_PAGE = 50
KIND_BY_LEVEL = {Level.VILLAGE: MeetingKind.VILLAGE_ANALYSIS, Level.TOWNSHIP: MeetingKind.TOWNSHIP_DISPATCH}
PAGE_NAME = {Level.VILLAGE: "followup:village_analysis", Level.TOWNSHIP: "followup:township_dispatch"}


def _page(request) -> int:
    try:
        return max(1, int(request.GET.get("page") or 1))
    except ValueError:
        return 1


def _rows_with_status(divisions, day):
    codes = [d.code for d in divisions]
    last = analysis.last_meetings(codes)
    rows = []
    for d in divisions:
        kind = KIND_BY_LEVEL[d.level]
        held = last.get((d.code, kind))
        try:
            due = analysis.next_due(kind, d.code, held, day)
        except Exception:
            due = None
        rows.append({"division": d, "kind": MeetingKind(kind).label, "last": held, "due": due,
                     "is_due": due is not None and due <= day, "url": reverse(PAGE_NAME[d.level], args=[d.code])})
    return rows


@login_required
@require_GET
def analysis_home(request):
    """Choose a village or township within the user's area; when the last meeting was held and whether one is due."""
    user = request.user
    day = today()
    scope = user.scope_code or ""
    visible = scope_filter(Division.objects.filter(level__in=[Level.TOWNSHIP, Level.VILLAGE]), user, "code")
    township = scrub(request.GET.get("township", "")).strip()
    if len(scope) >= 12:
        divisions = visible.filter(code=scope[:12])
    elif len(scope) >= 9:
        divisions = visible.filter(code__startswith=scope[:9])
    elif township.isdigit() and len(township) == 9 and in_scope(user, township):
        divisions = visible.filter(code__startswith=township)
    else:
        divisions = visible.filter(level=Level.TOWNSHIP)
    divisions = list(divisions.order_by("code")[:500])
    return render(request, "followup/analysis/home.html", {
        "rows": _rows_with_status(divisions, day), "township": township, "today": day,
        "show_townships_link": len(scope) < 9 and bool(township),
    })


def _material_page(request, code, level):
    user = request.user
    division = analysis.get_division_for(user, code, level)
    day = today()
    rows = analysis.material(user, division, today=day)
    for r in rows:
        r["sparkline"] = mark_safe(r["sparkline"])  # numbers only (analysis.sparkline)
    kind = KIND_BY_LEVEL[level]
    held = analysis.last_meetings([division.code], kind).get((division.code, kind))
    can_record = user.role == analysis.MEETING_ROLES[kind] and len(user.scope_code or "") == len(division.code)
    return render(request, "followup/analysis/material.html", {
        "division": division, "rows": rows, "today": day, "kind_label": MeetingKind(kind).label, "kind": kind,
        "last": held, "due": analysis.next_due(kind, division.code, held, day), "can_record": can_record,
        "can_export": user.caps.export,
        "export_url": reverse(PAGE_NAME[level] + "_export", args=[division.code]),
        "meeting_url": reverse("followup:meeting_new", args=[division.code]),
    })


@login_required
@require_GET
def village_analysis(request, code):
    return _material_page(request, code, Level.VILLAGE)


@login_required
@require_GET
def township_dispatch(request, code):
    return _material_page(request, code, Level.TOWNSHIP)


def export_rows(rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("研判材料")
    ws.append(["户编号", "村", "户主", "户类别", "监测状态", "风险码", "风险类型", "帮扶措施", "最近走访",
               "近12个月人均月收入（元）", "未销号问题", "逾期事项", "帮扶联系人"])
    for r in rows:
        v = r["latest_visit"]
        ws.append([
            r["number"], r["village"], r["head_name"], r["category"], r["monitoring_status"],
            f"{r['colour']['label']}码" if r["colour"] else "", "、".join(r["risks"]),
            "；".join(f"{m['content']}（{m['status']}）" for m in r["measures"]),
            f"{v['visited_on']:%Y-%m-%d} {v['mode']} {v['visitor']} {v['findings']}" if v else "无",
            "、".join("—" if x is None else f"{x:.0f}" for x in r["income"]),
            "；".join(f"{t['dimension']}（期限{t['due_on']:%Y-%m-%d}）" for t in r["tickets"]),
            "；".join(f"{o['label']}（逾期{o['days']}天）" for o in r["overdue"]),
            r["contact"],
        ])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _export(request, code, level):
    user = request.user
    if not user.caps.export:
        raise PermissionDenied(f"{user.role_label}角色不能导出")
    division = analysis.get_division_for(user, code, level)
    rows = analysis.material(user, division, today=today())
    title = f"{division.name}{MeetingKind(KIND_BY_LEVEL[level]).label}材料_{today():%Y%m%d}.xlsx"
    response = HttpResponse(export_rows(rows),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(title)}"
    return response


@login_required
@require_GET
def village_analysis_export(request, code):
    return _export(request, code, Level.VILLAGE)


@login_required
@require_GET
def township_dispatch_export(request, code):
    return _export(request, code, Level.TOWNSHIP)


# --- meetings --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request, code):
    user = request.user
    division = analysis.get_division_for(user, code)
    kind = KIND_BY_LEVEL[division.level]
    if user.role != analysis.MEETING_ROLES[kind]:
        raise PermissionDenied(f"{MeetingKind(kind).label}由{'村干部' if division.level == Level.VILLAGE else '乡镇工作人员'}记录")
    day = today()
    rows = analysis.material(user, division, today=day)
    errors: dict = {}
    data = {"held_on": f"{day:%Y-%m-%d}"}
    if request.method == "POST":
        post = request.POST
        data = {"held_on": post.get("held_on", ""), "attendees": post.get("attendees", ""),
                "conclusions": post.get("conclusions", ""), "period_start": post.get("period_start", ""),
                "period_end": post.get("period_end", ""),
                "household_notes": {str(r["id"]): post.get(f"note_{r['id']}", "") for r in rows}}
        try:
            with web_source(request):
                meeting = analysis.record_meeting(user, division, kind, data, today=day)
        except ValidationError as exc:
            errors = ({k.strip("_"): v[0] for k, v in exc.message_dict.items()} if hasattr(exc, "error_dict")
                      else {"all": exc.messages[0]})
        else:
            messages.success(request, f"已记录{meeting.held_on:%Y-%m-%d}{meeting.get_kind_display()}")
            return redirect("followup:meeting_detail", meeting.pk)
    notes = data.get("household_notes") or {}
    for r in rows:
        r["note"] = notes.get(str(r["id"]), "")
    return render(request, "followup/analysis/meeting_form.html", {
        "division": division, "kind_label": MeetingKind(kind).label, "rows": rows, "data": data, "errors": errors,
        "today": day,
    })


@login_required
@require_GET
def meeting_list(request):
    qs = analysis.meetings_visible_to(request.user)
    kind = scrub(request.GET.get("kind", "")).strip()
    if kind in MeetingKind.values:
        qs = qs.filter(kind=kind)
    items, page, pages, total = _paged(qs, _page(request), 30)
    return render(request, "followup/analysis/meeting_list.html", {
        "items": items, "page": page, "pages": pages, "total": total, "kind": kind, "kinds": MeetingKind.choices})


def _paged(qs, page, per_page):
    items, total, page, pages = paginate(qs, page, per_page)
    return items, page, pages, total


@login_required
@require_GET
def meeting_detail(request, pk):
    user = request.user
    meeting = analysis.get_meeting_for(user, pk)
    notes = meeting.household_notes or {}
    numbers = dict(households_visible_to(user).filter(pk__in=[int(k) for k in notes if str(k).isdigit()])
                   .values_list("id", "number"))
    from fangpin.accounts.masking import mask_text

    rows = [{"id": int(k), "number": numbers.get(int(k), k), "note": mask_text(user, v)}
            for k, v in notes.items() if str(k).isdigit() and int(k) in numbers]
    return render(request, "followup/analysis/meeting_detail.html", {
        "meeting": meeting, "notes": rows, "conclusions": mask_text(user, meeting.conclusions)})


# --- 一户一码 door card ------------------------------------------------------------------------------


def _card_url(request, household_id: int) -> str:
    return request.build_absolute_uri(reverse("followup:card_open", args=[colour.card_token(household_id)]))


def _qr_svg(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_inline(omitsize=True, border=2, dark="#000")


def _cards(request, households):
    user = request.user
    day = today()
    rows = household_rows(user, households)
    ids = [r["id"] for r in rows]
    colours = colour.colours_for(ids, day)
    from fangpin.assistance.models import ContactAssignment

    contacts = dict(ContactAssignment.objects.filter(household_id__in=ids, ended_on__isnull=True)
                    .values_list("household_id", "contact__display_name"))
    cards = []
    for r in rows:
        url = _card_url(request, r["id"])
        cards.append({"number": r["number"], "township": r["township"], "village": r["village"],
                      "category": r["category_name"], "colour": colours.get(r["id"]),
                      "contact": contacts.get(r["id"], ""), "qr": mark_safe(_qr_svg(url)), "url": url})
    return cards


@login_required
@require_GET
def door_card(request, pk):
    household = get_household_for(request.user, pk)
    return render(request, "followup/card.html", {"cards": _cards(request, [household]), "single": True})


@login_required
@require_GET
def door_cards(request):
    user = request.user
    village = analysis.get_division_for(user, request.GET.get("village", ""), Level.VILLAGE)
    qs = households_visible_to(user).filter(division_code__startswith=village.code).order_by("division_code", "number")
    items, page, pages, total = _paged(qs, _page(request), CARDS_PER_PAGE)
    return render(request, "followup/cards.html", {"cards": _cards(request, list(items)), "village": village,
                                                   "page": page, "pages": pages, "total": total})


@login_required
@require_GET
def card_open(request, token):
    """A scanned door card: the household page (or the month's visit form for its current contact) when the
    household is in the user's area; one 404 for a bad code and for a household elsewhere."""
    household_id = colour.household_id_from_token(token)
    if household_id is None:
        raise Http404("二维码无效或该农户不在您的管辖范围内")
    try:
        household = get_household_for(request.user, household_id)
    except Http404:
        raise Http404("二维码无效或该农户不在您的管辖范围内")
    if request.user.role == Role.ASSISTANCE_CONTACT:
        from fangpin.assistance.models import ContactAssignment

        if ContactAssignment.objects.filter(household=household, contact=request.user, ended_on__isnull=True).exists():
            try:
                return redirect(reverse("followup:monthly_visit", args=[household.pk]))
            except NoReverseMatch:
                pass
    return redirect("registry:household_detail", household.pk)

