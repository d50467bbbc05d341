"""Grid pages: the user's grid report, a village's grids, one grid, splitting a group, moving households,
grid workers and working groups (R-GRID-01 … R-GRID-06). Every object comes through the scoped getters
of ``selectors``; every write through ``services``."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from fangpin.accounts.masking import show_phone
from fangpin.accounts.scoping import divisions_visible_to, get_visible
from fangpin.areas.models import Division, GridPairing, GridWorker, Level
from fangpin.profiles.services import today
from fangpin.registry.queries import household_rows
from fangpin.registry.selectors import households_visible_to
from fangpin.web import apply_errors, web_source

from . import selectors, services
from .forms import RemoveForm, SplitForm, WorkerForm
from .ledger import ledger_workbook
from .reports import STATE_LABELS, grid_report
from .structure import structure_for

PAGE_HOUSEHOLDS = 300  # households listed on a village's move form / a grid page


def _can_write(user) -> bool:
    return user.caps.write_registry


def _service_error_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join(m for msgs in exc.message_dict.values() for m in msgs)
    return "；".join(exc.messages)


@login_required
def index(request):
    """The grid page of the user's place: a grid worker's grid, a village's grids, or the area's report."""
    user = request.user
    division = user.division
    if division is None:
        return report(request)
    if division.level == Level.GRID:
        return redirect("grid:grid_detail", pk=division.pk)
    if division.level == Level.VILLAGE:
        return redirect("grid:village", pk=division.pk)
    if division.level == Level.GROUP:
        return redirect("grid:village", pk=division.parent_id)
    return report(request)


@login_required
def report(request):
    """Grids over the maximum and under the minimum, households without a grid, workers without a grid,
    by township or village (R-GRID-06). ``?division=<code>`` narrows it to a part of the user's area."""
    user = request.user
    code = request.GET.get("division", "")
    division = selectors.visible_division_by_code(user, code) if code else user.division
    if division is None and not code:  # an account above county level: its first county
        division = divisions_visible_to(user).filter(level=Level.COUNTY).order_by("code").first()
    if division is None:
        raise Http404("区划不存在或不在您的管辖范围内")
    if division.level == Level.VILLAGE:
        return redirect("grid:village", pk=division.pk)
    if division.level > Level.VILLAGE:
        raise Http404("区划不存在或不在您的管辖范围内")
    data = grid_report(division)
    heads = []
    township_positions = data.rules.at("township")
    if division.level == Level.TOWNSHIP and township_positions:
        names = data.rules.position_names()
        heads = list(selectors.workers_visible_to(user).filter(unit=division, active=True))
        for w in heads:
            w.shown_phone = show_phone(user, w.phone)
            w.position_name = names.get(w.position, w.position)
    return render(request, "grid/report.html", {
        "heads": heads, "township_positions": township_positions,
        "division": division, "report": data, "rules": data.rules, "state_labels": STATE_LABELS,
        "child_label": Level(division.level + 1).label, "over": data.over_max[:100], "under": data.under_min[:100],
        "workers_without_grid": data.workers_without_grid[:100],
        "working_groups": selectors.working_groups_visible_to(user).filter(division=division),
        "can_write": _can_write(user),
    })


@login_required
def village(request, pk):
    user = request.user
    village = selectors.get_village_for(user, pk)
    data = grid_report(village)
    groups = list(Division.objects.filter(parent=village, level=Level.GROUP, active=True).order_by("code"))
    by_group: dict[str, list] = {g.code: [] for g in groups}
    for row in data.grids:
        by_group.setdefault(row.code[:15], []).append(row)
    for g in groups:
        g.grid_rows = by_group.get(g.code, [])
        g.households = sum(r.households for r in g.grid_rows)
    village_workers = list(selectors.workers_visible_to(user).filter(unit=village, active=True)
                           .exclude(position=data.rules.grid_position.code).prefetch_related("pairings__grid"))
    names = data.rules.position_names()
    for w in village_workers:
        w.shown_phone = show_phone(user, w.phone)
        w.position_name = names.get(w.position, w.position)
    for row in data.grids:
        for w in row.workers:
            w.shown_phone = show_phone(user, w.phone)
    without = households_visible_to(user).filter(village=village, grid__isnull=True).order_by("number")[:PAGE_HOUSEHOLDS]
    return render(request, "grid/village.html", {
        "village": village, "report": data, "rules": data.rules, "groups": groups, "state_labels": STATE_LABELS,
        "village_workers": village_workers, "without_rows": household_rows(user, without),
        "can_write": _can_write(user), "can_export": user.caps.export,
    })


@login_required
def grid_detail(request, pk):
    """One grid: its households and workers; a writer can move households of the village into it."""
    user = request.user
    grid = selectors.get_grid_for(user, pk)
    rules = structure_for(grid.code)
    households = households_visible_to(user).filter(grid=grid).order_by("number")
    count = households.count()
    workers = list(GridWorker.objects.filter(grid=grid, active=True).order_by("position", "name"))
    pairing = GridPairing.objects.filter(grid=grid).select_related("worker").first()
    for w in workers:
        w.shown_phone = show_phone(user, w.phone)
    paired = pairing.worker if pairing is not None and pairing.worker.active else None
    candidates = []
    if _can_write(user):
        candidates = household_rows(user, households_visible_to(user).filter(village_id=grid.parent.parent_id)
                                    .exclude(grid=grid).order_by("division_code", "number")[:PAGE_HOUSEHOLDS])
    return render(request, "grid/grid_detail.html", {
        "grid": grid, "rules": rules, "count": count, "state": STATE_LABELS[_state(count, rules)],
        "rows": household_rows(user, households[:PAGE_HOUSEHOLDS]), "workers": workers,
        "paired": paired, "paired_phone": show_phone(user, paired.phone) if paired else "",
        "candidates": candidates, "can_write": _can_write(user),
        "position_names": rules.position_names(),
    })


def _state(count, rules):
    from .reports import state_of

    return state_of(count, rules)


@login_required
@require_POST
def grid_assign(request, pk):
    """Move the chosen households of the village into this grid (R-GRID-06: refused past the hard maximum)."""
    user = request.user
    grid = selectors.get_grid_for(user, pk)
    if not _can_write(user):
        raise PermissionDenied(f"{user.role_label}角色不能调整网格")
    village = grid.parent.parent
    ids = request.POST.getlist("household")
    try:
        with web_source(request):
            moved = services.assign_households(user, village, [(hid, grid.code) for hid in ids])
    except ValidationError as exc:
        messages.error(request, "未调整：" + _service_error_message(exc))
    else:
        messages.success(request, f"已将{len(moved)}户调整到{grid.name}")
    return redirect("grid:grid_detail", pk=grid.pk)


@login_required
@require_http_methods(["GET", "POST"])
def group_split(request, pk):
    user = request.user
    group = selectors.get_group_for(user, pk)
    if not _can_write(user):
        raise PermissionDenied(f"{user.role_label}角色不能拆分网格")
    rules = structure_for(group.code)
    total = households_visible_to(user).filter(group=group).count()
    existing = Division.objects.filter(parent=group, level=Level.GRID, active=True).count()
    form = SplitForm(request.POST or None, initial={"grids": max(existing, 1)})
    if request.method == "POST" and form.is_valid():
        try:
            with web_source(request):
                grids = services.split_group(user, group, form.cleaned_data["grids"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{group.name}已分为{len(grids)}个网格：{'、'.join(g.name for g in grids)}")
            return redirect("grid:village", pk=group.parent_id)
    return render(request, "grid/split.html", {
        "group": group, "form": form, "rules": rules, "total": total, "existing": existing,
        "suggested": max(1, -(-total // rules.households_max)) if total else 1,
    })


@login_required
def ledger(request, pk):
    """The village's grid ledger in the 004 附件2 layout (R-GRID-04)."""
    user = request.user
    village = selectors.get_village_for(user, pk)
    if not user.caps.export:
        raise PermissionDenied("您的角色不能导出数据")
    content = ledger_workbook(user, village)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"{village.name}防止返贫动态监测基层网格工作台账_{today():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def _unit_for(user, pk) -> Division:
    return get_visible(Division.objects.filter(level__in=[Level.TOWNSHIP, Level.VILLAGE]), user, pk, field="code",
                       not_found="区划不存在或不在您的管辖范围内")


def _back(unit: Division) -> str:
    return reverse("grid:village", kwargs={"pk": unit.pk}) if unit.level == Level.VILLAGE else \
        reverse("grid:report") + f"?division={unit.code}"


@login_required
@require_http_methods(["GET", "POST"])
def worker_create(request, pk):
    user = request.user
    unit = _unit_for(user, pk)
    if not _can_write(user):
        raise PermissionDenied(f"{user.role_label}角色不能登记网格员")
    rules = structure_for(unit.code)
    form = WorkerForm(request.POST or None, unit=unit, rules=rules, initial={"grid": request.GET.get("grid", "")})
    if request.method == "POST":
        form.is_valid()
        try:
            with web_source(request):
                worker = services.create_worker(user, unit, form.service_data())
        except ValidationError as exc:
            form.errors.clear()
            apply_errors(form, exc)
        else:
            messages.success(request, f"已登记{worker.name}")
            return redirect(_back(unit))
    return render(request, "grid/worker_form.html", {"form": form, "title": f"登记网格员 · {unit.name}",
                                                      "back": _back(unit)})


@login_required
@require_http_methods(["GET", "POST"])
def worker_edit(request, pk):
    user = request.user
    worker = selectors.get_worker_for(user, pk)
    if not _can_write(user):
        raise PermissionDenied(f"{user.role_label}角色不能修改网格员")
    rules = structure_for(worker.unit.code)
    form = WorkerForm(request.POST or None, unit=worker.unit, rules=rules, initial=WorkerForm.initial_for(worker))
    if request.method == "POST":
        form.is_valid()
        try:
            with web_source(request):
                services.update_worker(user, worker, form.service_data())
        except ValidationError as exc:
            form.errors.clear()
            apply_errors(form, exc)
        else:
            messages.success(request, f"已保存{worker.name}的信息")
            return redirect(_back(worker.unit))
    return render(request, "grid/worker_form.html", {"form": form, "title": f"修改网格员 · {worker.name}",
                                                      "back": _back(worker.unit), "worker": worker,
                                                      "remove_form": RemoveForm()})


@login_required
@require_POST
def worker_remove(request, pk):
    user = request.user
    worker = selectors.get_worker_for(user, pk)
    if not _can_write(user):
        raise PermissionDenied(f"{user.role_label}角色不能修改网格员")
    try:
        with web_source(request):
            services.remove_worker(user, worker, request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "未保存：" + _service_error_message(exc))
        return redirect("grid:worker_edit", pk=worker.pk)
    messages.success(request, f"{worker.name}已离岗")
    return redirect(_back(worker.unit))


@login_required
@require_http_methods(["GET", "POST"])
def working_groups(request):
    """The township's or county's working groups (004 §一(三)(四)); a writer sets them up from the profile."""
    user = request.user
    code = request.GET.get("division", "")
    division = selectors.visible_division_by_code(user, code) if code else user.division
    if division is None or division.level > Level.TOWNSHIP:
        raise Http404("该区划没有工作组")
    if request.method == "POST":
        if not _can_write(user):
            raise PermissionDenied(f"{user.role_label}角色不能建立工作组")
        try:
            with web_source(request):
                created = services.setup_working_groups(user, division)
        except ValidationError as exc:
            messages.error(request, _service_error_message(exc))
        else:
            messages.success(request, f"已建立{len(created)}个工作组" if created else "工作组均已建立")
        return redirect(reverse("grid:working_groups") + f"?division={division.code}")
    groups = list(selectors.working_groups_visible_to(user).filter(division=division).prefetch_related("members"))
    for g in groups:
        for m in g.members.all():
            m.shown_phone = show_phone(user, m.contact_phone)
    townships = divisions_visible_to(user).filter(level=Level.TOWNSHIP).order_by("code") if division.level == Level.COUNTY else []
    return render(request, "grid/working_groups.html", {"division": division, "groups": groups,
                                                        "townships": townships, "can_write": _can_write(user)})


@login_required
@require_http_methods(["GET", "POST"])
def working_group_edit(request, pk):
    user = request.user
    group = selectors.get_working_group_for(user, pk)
    if not _can_write(user):
        raise PermissionDenied(f"{user.role_label}角色不能修改工作组")
    members = list(group.members.all())
    errors = {}
    if request.method == "POST":
        posted = {m.pk: {f: request.POST.get(f"m{m.pk}-{f}", "") for f in services.MEMBER_FIELDS} for m in members}
        try:
            with web_source(request):
                services.update_working_group(user, group, leader=request.POST.get("leader", ""),
                                              note=request.POST.get("note", ""), members=posted)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            for m in members:
                for f in services.MEMBER_FIELDS:
                    setattr(m, f, posted[m.pk][f])
            group.leader, group.note = request.POST.get("leader", ""), request.POST.get("note", "")
        else:
            messages.success(request, f"已保存{group.name}")
            return redirect(reverse("grid:working_groups") + f"?division={group.division_code}")
    return render(request, "grid/working_group_form.html", {
        "group": group, "members": members, "errors": [m for msgs in errors.values() for m in msgs],
    })
