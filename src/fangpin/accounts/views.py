"""Home page per role: the user's area at a glance and the pending actions."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.shortcuts import render

from fangpin.areas.models import CODE_LENGTH, Division, Level
from fangpin.registry.models import MonitoringStatus

from .scoping import households_visible_to

PENDING_PROVIDERS = []  # callables (user) -> list of {"title", "url", "due", "overdue"}; apps register here


def pending_actions(user) -> list[dict]:
    items = []
    for provider in PENDING_PROVIDERS:
        items.extend(provider(user))
    return sorted(items, key=lambda i: (not i.get("overdue"), str(i.get("due") or "")))


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
    return render(
        request,
        "accounts/home.html",
        {"totals": totals, "breakdown": breakdown, "division": division, "pending": pending_actions(user)},
    )
