"""Household pages: list + search + filters, detail, forms, roster export."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from fangpin.accounts.masking import show_id_number, show_phone
from fangpin.accounts.scoping import divisions_visible_to
from fangpin.areas.models import Level
from fangpin.audit.presentation import present_events
from fangpin.policy.income import INCOME_FIELDS
from fangpin.profiles.services import profile_for_county, today
from fangpin.web import apply_errors, categories_for_user, web_source

from . import moves, services
from .exports import roster_workbook
from .forms import (
    BasicNeedsForm,
    CategoryForm,
    HouseholdEditForm,
    HouseholdForm,
    IncomeForm,
    MemberForm,
    MoveApproveForm,
    MoveDeclineForm,
    MoveForm,
    RemoveForm,
    TagsForm,
)
from .models import MonitoringStatus, Tag
from .panels import badges_for, panels_for
from .queries import HouseholdFilters, household_page, search_households
from .selectors import get_household_for, get_member_for, households_visible_to


def _categories_for(user):
    """The user's county's categories; above county level, those of every county in the area (R-SEC-01)."""
    return categories_for_user(user)


@login_required
def household_list(request):
    filters = HouseholdFilters.from_params(request.GET)
    try:
        page_no = int(request.GET.get("page") or 1)
    except ValueError:
        page_no = 1
    rows, total, page, pages = household_page(request.user, filters, page_no, settings.FANGPIN_PAGE_SIZE)
    badges = badges_for(request.user, [r["id"] for r in rows])
    for r in rows:
        r["badges"] = badges[r["id"]]
    context = {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": pages,
        "filters": filters,
        "query": filters.as_query(),
        "categories": _categories_for(request.user),
        "tags": Tag.objects.all(),
        "statuses": MonitoringStatus.choices,
        "can_write": request.user.caps.write_registry,
        "can_export": request.user.caps.export,
    }
    if request.htmx:  # the table only: the filter form stays on the page
        return render(request, "registry/_household_table.html", context)
    context["division_options"] = _division_options(request.user, filters.division)
    return render(request, "registry/household_list.html", context)


def _division_options(user, selected: str):
    """The 区划 filter's options: up to two levels below the user's own, not below groups (at most 800),
    indented by level.
    Written here in one pass over (code, name, level) tuples: as a template loop over Division
    objects the ~230 options of a county cost more than the rest of the page."""
    scope = user.scope_code or ""
    scope_level = _level_of(scope) if scope else 0
    divisions = (
        divisions_visible_to(user)
        .filter(level__gt=scope_level, level__lte=min(Level.GROUP, scope_level + 2))
        .order_by("code")
        .values_list("code", "name", "level")[:800]
    )
    return mark_safe(  # every value escaped above
        "".join(
            f'<option value="{escape(code)}" {"selected" if code == selected else ""}>'
            f"{'　' * ((level >= 3) + (level >= 4))}{escape(name)}</option>"
            for code, name, level in divisions
        )
    )


def _level_of(code: str) -> int:
    return {6: 1, 9: 2, 12: 3, 15: 4, 17: 5}.get(len(code), 1)


@login_required
def household_export(request):
    if not request.user.caps.export:
        raise PermissionDenied("您的角色不能导出数据")
    filters = HouseholdFilters.from_params(request.GET)
    qs = search_households(request.user, filters)
    content = roster_workbook(request.user, qs)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote('农户花名册')}_{today():%Y%m%d}.xlsx"
    return response


def _quote(s):
    from urllib.parse import quote

    return quote(s)


@login_required
def household_detail(request, pk):
    household = get_household_for(request.user, pk)
    user = request.user
    members = list(household.members.order_by("-active", "relation_order", "birth_date"))
    for m in members:
        m.shown_id = show_id_number(user, m.id_number)
        m.shown_phone = show_phone(user, m.phone)
    events = present_events(user, household.events.select_related("actor")[:100])
    profile = profile_for_county(household.division_code)
    context = {
        "h": household,
        "place": household.grid or household.group or household.village,
        "members": members,
        "incomes": household.incomes.all()[:20],
        "events": events,
        "moves": household.members.none(),
        "category_name": profile.category_names().get(household.category, household.category),
        "household_phone": show_phone(user, household.phone),
        "can_write": user.caps.write_registry,
        "tags": household.tags.all(),
        "panels": panels_for(user, household),
        "badges": badges_for(user, [household.pk])[household.pk],
    }
    return render(request, "registry/household_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request):
    if not request.user.caps.write_registry:
        raise PermissionDenied("您的角色不能新建农户")
    categories = _categories_for(request.user)
    initial = {}
    scope = request.user.scope_code or ""
    if len(scope) >= 12:
        initial["village_code"] = scope[:12]
    if len(scope) >= 15:
        initial["group_code"] = scope[:15]
    if len(scope) >= 17:
        initial["grid_code"] = scope[:17]
    form = HouseholdForm(request.POST or None, categories=categories, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with web_source(request):
                h = services.create_household(request.user, **form.cleaned_data)
            messages.success(request, f"已新建农户 {h.number}，请登记家庭成员")
            return redirect("registry:member_add", pk=h.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or "该区划不在您的管辖范围内")
    return render(request, "registry/form.html", {"form": form, "title": "新建农户", "back": reverse("registry:household_list")})


def _write_view(request, household, form, action, success, title):
    if not request.user.caps.write_registry:
        raise PermissionDenied("您的角色不能修改农户信息")
    if request.method == "POST" and form.is_valid():
        try:
            with web_source(request):
                action(form)
            messages.success(request, success)
            return redirect("registry:household_detail", pk=household.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    back = reverse("registry:household_detail", args=[household.pk])
    return render(request, "registry/form.html", {"form": form, "title": title, "h": household, "back": back})


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request, pk):
    h = get_household_for(request.user, pk)
    form = HouseholdEditForm(request.POST or None, initial={"phone": h.phone, "address": h.address})
    return _write_view(request, h, form, lambda f: services.update_household(request.user, h, **f.cleaned_data), "已保存", "修改农户信息")


@login_required
@require_http_methods(["GET", "POST"])
def household_category(request, pk):
    h = get_household_for(request.user, pk)
    # The household's own county decides its categories, whoever acts on it (R-SEC-01).
    categories = [(c["code"], c["name"]) for c in profile_for_county(h.division_code).categories]
    form = CategoryForm(request.POST or None, categories=categories, initial={"category": h.category})
    return _write_view(
        request, h, form,
        lambda f: services.change_category(request.user, h, f.cleaned_data["category"], f.cleaned_data["reason"]),
        "户类别已调整", "调整户类别",
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_tags(request, pk):
    h = get_household_for(request.user, pk)
    form = TagsForm(request.POST or None, tag_choices=Tag.objects.values_list("code", "name"),
                    initial={"tags": list(h.tags.values_list("code", flat=True))})
    return _write_view(request, h, form, lambda f: services.set_tags(request.user, h, f.cleaned_data["tags"]), "标签已保存", "农户标签")


@login_required
@require_http_methods(["GET", "POST"])
def basic_needs_edit(request, pk):
    h = get_household_for(request.user, pk)
    yn = {None: "", True: "1", False: "0"}
    initial = {k: yn[getattr(h, k)] for k in ("food_secure", "clothing_secure", "education_secure", "medical_secure", "water_secure")}
    initial |= {"housing_grade": h.housing_grade, "basic_needs_note": h.basic_needs_note}
    form = BasicNeedsForm(request.POST or None, initial=initial)
    return _write_view(request, h, form, lambda f: services.update_basic_needs(request.user, h, f.service_data()), "两不愁三保障已更新", "两不愁三保障及饮水安全")


@login_required
@require_http_methods(["GET", "POST"])
def income_add(request, pk):
    h = get_household_for(request.user, pk)
    form = IncomeForm(request.POST or None, initial={"year": today().year - 1, "period": "annual"})

    def action(f):
        d = f.cleaned_data
        parts = {k: request.POST.get(k, "0") for k in INCOME_FIELDS}
        services.save_income(request.user, h, year=d["year"], period=d["period"], month=d.get("month"),
                             data=parts, household_size=d.get("household_size"))

    return _write_view(request, h, form, action, "收入已保存，人均纯收入已计算", "录入收入")


@login_required
@require_http_methods(["GET", "POST"])
def member_add(request, pk):
    h = get_household_for(request.user, pk)
    form = MemberForm(request.POST or None)
    return _write_view(request, h, form, lambda f: services.add_member(request.user, h, f.service_data()), "成员已登记", f"为户 {h.number} 登记家庭成员")


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request, member_pk):
    m = get_member_for(request.user, member_pk)
    initial = {f: getattr(m, f) for f in MemberForm.base_fields if hasattr(m, f)}
    yn = {None: "", True: "1", False: "0"}
    for k in ("medical_insurance", "serious_illness_insurance", "pension_insurance"):
        initial[k] = yn[getattr(m, k)]
    initial["health"] = [x for x in m.health.split(",") if x]
    form = MemberForm(request.POST or None, initial=initial, editing=True)
    return _write_view(request, m.household, form, lambda f: services.update_member(request.user, m, f.service_data()), "成员信息已保存", f"修改成员 {m.name}")


@login_required
@require_http_methods(["GET", "POST"])
def member_move(request, member_pk):
    m = get_member_for(request.user, member_pk)
    form = MoveForm(request.POST or None)

    def action(f):
        number = f.cleaned_data["to_household"].strip()
        target = households_visible_to(request.user).filter(number=number).select_related("village")
        if target.count() != 1:
            raise ValidationError({"to_household": f"在您的管辖范围内找不到唯一的户编号 {number}"})
        services.move_member(request.user, m, target.first(), f.cleaned_data["relation"], f.cleaned_data["reason"])

    return _write_view(request, m.household, form, action, f"{m.name} 已迁出", f"迁移成员 {m.name}")


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request, member_pk):
    m = get_member_for(request.user, member_pk)
    if not m.active:
        raise Http404
    form = RemoveForm(request.POST or None)
    return _write_view(request, m.household, form, lambda f: services.remove_member(request.user, m, f.cleaned_data["reason"]), f"{m.name} 已移出", f"移出成员 {m.name}")


# --- moves between areas (R-SEC-04) -----------------------------------------------------------------


def _move_view(user, move):
    """What ``user`` may see of a move request: the side outside their area is not named."""
    from fangpin.areas.models import Division

    sides = moves.sides_of(user, move)
    names = dict(Division.objects.filter(code__in=[move.target_division_code[:12], move.holder_division_code[:12]])
                 .values_list("code", "name"))
    holder = move.holder_member
    return {
        "move": move,
        "sides": sides,
        "shown_id": show_id_number(user, move.id_number),
        "target_place": names.get(move.target_division_code[:12], ""),
        "target_household": move.target_household if "target" in sides else None,
        "holder_place": names.get(move.holder_division_code[:12], "") if "holder" in sides else "其他地区（不显示）",
        "holder_household": holder.household if "holder" in sides else None,
        "can_act": user.caps.handle_moves and move.status == "open",
        "waiting": [label for flag, label in ((move.released_at, "迁出地县乡村振兴局同意迁出"),
                                              (move.accepted_at, "迁入地县乡村振兴局同意迁入")) if not flag],
    }


@login_required
def move_list(request):
    user = request.user
    status = request.GET.get("status", "open")
    qs = moves.moves_visible_to(user).select_related("target_household", "holder_member__household")
    if status in ("open", "done", "declined"):
        qs = qs.filter(status=status)
    rows = [_move_view(user, m) for m in qs[:200]]
    return render(request, "registry/move_list.html", {"rows": rows, "status": status})


@login_required
def move_detail(request, pk):
    move = moves.get_move_for(request.user, pk)
    context = _move_view(request.user, move) | {
        "approve_form": MoveApproveForm(), "decline_form": MoveDeclineForm(),
    }
    return render(request, "registry/move_detail.html", context)


def _move_action(request, pk, form_class, action, success):
    move = moves.get_move_for(request.user, pk)
    if not request.user.caps.handle_moves:
        raise PermissionDenied("跨地区迁移由县乡村振兴局办理")
    form = form_class(request.POST)
    if form.is_valid():
        try:
            with web_source(request):
                action(move, form.cleaned_data)
            messages.success(request, success)
            return redirect("registry:move_detail", pk=move.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    context = _move_view(request.user, move) | {"approve_form": MoveApproveForm(), "decline_form": MoveDeclineForm()}
    context["approve_form" if form_class is MoveApproveForm else "decline_form"] = form
    return render(request, "registry/move_detail.html", context)


def _target_household(user, move, number: str):
    number = (number or "").strip()
    if not number:
        return None
    household = households_visible_to(user).filter(number=number, village__code=move.target_division_code[:12]).first()
    if household is None:
        raise ValidationError({"target_number": f"迁入村没有户编号为 {number} 的农户（或不在您的管辖范围内）"})
    return household


@login_required
@require_http_methods(["POST"])
def move_approve(request, pk):
    def action(move, data):
        target = _target_household(request.user, move, data["target_number"])
        moves.approve_move(request.user, move, target_household=target, relation=data["relation"], note=data["note"])

    return _move_action(request, pk, MoveApproveForm, action, "已同意；双方县乡村振兴局均同意后自动完成迁移")


@login_required
@require_http_methods(["POST"])
def move_decline(request, pk):
    return _move_action(request, pk, MoveDeclineForm,
                        lambda move, data: moves.decline_move(request.user, move, reason=data["reason"]), "已不予迁移")
