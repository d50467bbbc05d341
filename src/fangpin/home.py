"""Home page per role: the user's area at a glance and the pending actions.

It sits at the top of the layers (beside the URLconf and the API) because it reads the
registry; apps offer their pending work through ``fangpin.accounts.pending``.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.shortcuts import render

from fangpin.accounts.pending import pending_actions
from fangpin.accounts.roles import Role
from fangpin.areas.models import CODE_LENGTH, Division, Level
from fangpin.discovery.services import RAISE_ROLES as LEAD_RAISERS
from fangpin.registry.models import MonitoringStatus
from fangpin.registry.queries import household_rows
from fangpin.registry.selectors import households_visible_to


@login_required
def home(request):
    user = request.user
    division = user.division
    qs = households_visible_to(user)
    totals = qs.aggregate(
        total=Count("id"),
        monitored=Count("id", filter=Q(monitoring_status=MonitoringStatus.MONITORED)),
        eliminated=Count("id", filter=Q(monitoring_status=MonitoringStatus.ELIMINATED)),
        formerly_poor=Count("id", filter=Q(category="formerly_poor")),
    )
    breakdown = []
    if division is not None and division.level < Level.GRID:
        child_len = CODE_LENGTH[Level(division.level + 1)]
        rows = (
            qs.annotate(child=Substr("division_code", 1, child_len))
            .values("child")
            .annotate(
                total=Count("id"),
                monitored=Count("id", filter=Q(monitoring_status=MonitoringStatus.MONITORED)),
                formerly_poor=Count("id", filter=Q(category="formerly_poor")),
            )
            .order_by("child")
        )
        names = dict(Division.objects.filter(parent=division).values_list("code", "name"))
        breakdown = [dict(r, name=names.get(r["child"], r["child"])) for r in rows]
    my_households = []
    if user.role == Role.ASSISTANCE_CONTACT:
        # The households the contact currently looks after (R-AID-05), not every household of the village.
        mine = qs.filter(contact_assignments__contact=user, contact_assignments__ended_on__isnull=True)
        my_households = household_rows(user, mine.order_by("division_code", "number")[:200])
    elif user.role == Role.GRID_WORKER and totals["total"] <= 200:
        my_households = household_rows(user, qs.order_by("division_code", "number")[:200])
    return render(
        request,
        "accounts/home.html",
        {
            "totals": totals,
            "breakdown": breakdown,
            "division": division,
            "pending": pending_actions(user),
            "quick_links": quick_links(user),
            "my_households": my_households,
        },
    )


def quick_links(user) -> list[tuple[str, str]]:
    """Shortcuts on the home page, by role."""
    from django.urls import reverse

    links = [("查询农户", reverse("registry:household_list"))]
    if user.role in LEAD_RAISERS:
        links.append(("登记线索", reverse("discovery:lead_new")))
    links.append(("线索", reverse("discovery:lead_list")))
    if user.role in (Role.COUNTY_OFFICE, Role.TOWNSHIP_STAFF, Role.SUPERVISOR):
        links.append(("线索来源与流转", reverse("discovery:flow")))
    if user.role in (Role.GRID_WORKER, Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICE):
        links.append(("必访名单", reverse("followup:must_visit_list")))
    if user.role in (Role.ASSISTANCE_CONTACT, Role.GRID_WORKER, Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF,
                     Role.COUNTY_OFFICE, Role.SUPERVISOR):
        links.append(("月访视计划", reverse("followup:schedule_list")))
        links.append(("逾期事项", reverse("followup:overdue_list")))
        links.append(("问题清零台账", reverse("followup:ticket_list")))
    if user.role in (Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICE, Role.SUPERVISOR):
        links.append(("分析研判与调度", reverse("followup:analysis_home")))
    if user.caps.write_registry:
        links.append(("新建农户", reverse("registry:household_create")))
    if user.caps.export:
        links.append(("导出花名册", reverse("registry:household_export")))
    links.append(("监测对象名单", reverse("registry:household_list") + "?status=monitored"))
    if user.role in (Role.ASSISTANCE_CONTACT, Role.TOWNSHIP_STAFF):
        links.append(("我联系的农户", reverse("assistance:my_households")))
    if user.role in (Role.COUNTY_OFFICE, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.SUPERVISOR):
        links.append(("帮扶方案", reverse("assistance:plan_list")))
    if user.is_administrator or user.is_staff:
        links.append(("后台管理（字典、日历、画像、用户）", reverse("admin:index")))
    return links
