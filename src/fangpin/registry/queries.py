"""Scoped reads for lists, search, API and exports. All start from ``households_visible_to``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fangpin.accounts.masking import show_id_number, show_phone
from fangpin.areas.lookups import prefix_q
from fangpin.profiles.services import profile_for_county

from .models import Household, Member, MonitoringStatus, Tag
from .selectors import households_visible_to

ID_LIKE = re.compile(r"^\d{6,21}[\dXx]$")


@dataclass
class HouseholdFilters:
    q: str = ""
    division: str = ""
    category: str = ""
    tag: str = ""
    status: str = ""

    @classmethod
    def from_params(cls, params) -> HouseholdFilters:
        return cls(**{k: (params.get(k) or "").replace("\x00", "").strip() for k in ("q", "division", "category", "tag", "status")})

    def as_query(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}


def search_households(user, filters: HouseholdFilters):
    qs = households_visible_to(user)
    if filters.division:
        qs = qs.filter(prefix_q("division_code", filters.division))
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.status:
        qs = qs.filter(monitoring_status=filters.status)
    if filters.tag:
        # ``pk IN (households with the tag)``, not a correlated EXISTS per household (a county count
        # would probe every one of its households), and with the tag's id as a constant so that
        # the planner knows how common the tag is.
        tag_id = Tag.objects.filter(code=filters.tag).values_list("id", flat=True).first()
        if tag_id is None:
            return qs.none()
        qs = qs.filter(pk__in=Tag.households.through.objects.filter(tag_id=tag_id).values("household_id"))
    q = filters.q.replace(" ", "")
    if q:
        if ID_LIKE.match(q) and len(q) >= 15:
            ids = Member.objects.filter(prefix_q("id_number", q.upper())).values("household_id").order_by()
            if q.isdigit():
                # A long run of digits is also what a household number looks like (village code +
                # serial): search both. A UNION of two index lookups, not an OR, which would make the
                # database walk the whole scope.
                ids = ids.union(Household.objects.filter(prefix_q("number", q)).values("pk").order_by())
            qs = qs.filter(pk__in=ids)
        elif q.isdigit() or re.fullmatch(r"[0-9A-Za-z\-]+", q):
            qs = qs.filter(prefix_q("number", q))
        else:
            members = Member.objects.filter(prefix_q("name", q))
            qs = qs.filter(pk__in=members.values("household_id"))
    return qs.order_by("division_code", "number")


def heads_for(households) -> dict[int, Member]:
    ids = [h.pk for h in households]
    heads = Member.objects.filter(household_id__in=ids, relation="户主", active=True)
    return {m.household_id: m for m in heads}


def sizes_for(households) -> dict[int, int]:
    from django.db.models import Count

    ids = [h.pk for h in households]
    rows = Member.objects.filter(household_id__in=ids, active=True).values("household_id").annotate(n=Count("id"))
    return {r["household_id"]: r["n"] for r in rows}


def division_names(codes) -> dict[str, str]:
    from fangpin.areas.models import Division

    return dict(Division.objects.filter(code__in=set(codes)).values_list("code", "name"))


def household_rows(user, households) -> list[dict]:
    """List rows with head, size, place names and masked personal data (3 queries per page)."""
    households = list(households)
    heads = heads_for(households)
    sizes = sizes_for(households)
    codes = set()
    for h in households:
        codes.update({h.division_code[:9], h.division_code[:12], h.division_code[:15]})
    names = division_names(codes)
    category_names: dict[str, dict[str, str]] = {}  # per county, not per row (one profile lookup each)
    rows = []
    for h in households:
        head = heads.get(h.pk)
        county = h.division_code[:6]
        if county not in category_names:
            try:
                category_names[county] = profile_for_county(county).category_names()
            except Exception:
                category_names[county] = {}
        category_name = category_names[county].get(h.category, h.category)
        rows.append(
            {
                "id": h.pk,
                "number": h.number,
                "township": names.get(h.division_code[:9], ""),
                "village": names.get(h.division_code[:12], ""),
                "group": names.get(h.division_code[:15], "") if len(h.division_code) >= 15 else "",
                "head_name": head.name if head else "（无户主）",
                "head_id_number": show_id_number(user, head.id_number) if head else "",
                "size": sizes.get(h.pk, 0),
                "category": h.category,
                "category_name": category_name,
                "monitoring_status": h.monitoring_status,
                "monitoring_status_name": MonitoringStatus(h.monitoring_status).label,
                "phone": show_phone(user, h.phone),
                "division_code": h.division_code,
            }
        )
    return rows


def paginate(qs, page: int, per_page: int):
    total = qs.count()
    pages = max(1, (total + per_page - 1) // per_page)
    page = min(max(1, page), pages)
    items = list(qs[(page - 1) * per_page : page * per_page])
    return items, total, page, pages


def household_or_none(user, pk) -> Household | None:
    return households_visible_to(user).filter(pk=pk).first()
