"""Grid work on the home page of village cadres and township staff (R-GRID-06): households not yet in a
grid and grids over the hard maximum, each with a link to the page where it is fixed. Two grouped
queries over the user's division-code range (index-only)."""

from __future__ import annotations

from django.db.models import Count
from django.db.models.functions import Length
from django.urls import reverse

from fangpin.accounts.roles import Role
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import Level
from fangpin.registry.models import Household

from .reports import GRID_CODE_LENGTH
from .structure import structure_for

ROLES = {Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF}


def pending_grid_work(user) -> list[dict]:
    division = getattr(user, "division", None)
    if user.role not in ROLES or division is None or division.level not in (Level.TOWNSHIP, Level.VILLAGE):
        return []
    code = division.code
    url = (reverse("grid:village", kwargs={"pk": division.pk}) if division.level == Level.VILLAGE
           else reverse("grid:report") + f"?division={code}")
    in_area = Household.objects.filter(prefix_q("division_code", code)).order_by()
    items = []
    without = in_area.annotate(code_length=Length("division_code")).filter(code_length__lt=GRID_CODE_LENGTH).count()
    if without:
        items.append({"title": f"{without}户农户尚未划入网格", "url": url, "due": None, "overdue": False})
    hard = structure_for(code).households_hard_max
    over = (in_area.values("division_code").annotate(n=Count("id")).filter(n__gt=hard)
            .annotate(code_length=Length("division_code")).filter(code_length=GRID_CODE_LENGTH).count())
    if over:
        items.append({"title": f"{over}个网格超过{hard}户上限，请拆分", "url": url, "due": None, "overdue": False})
    return items
