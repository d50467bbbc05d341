"""Households and members as a user may see them (R-SEC-01).

Built on the one door, ``fangpin.accounts.scoping``: lists through ``scope_filter``, one row by
id through ``get_visible`` (404 outside the user's area, never 403).
"""

from __future__ import annotations

from fangpin.accounts.scoping import get_visible, scope_filter

from .models import Household, Member


def households_visible_to(user):
    return scope_filter(Household.objects.all(), user)


def members_visible_to(user):
    return scope_filter(Member.objects.filter(active=True), user, "household__division_code")


def get_household_for(user, pk) -> Household:
    return get_visible(Household.objects.all(), user, pk, not_found="农户不存在或不在您的管辖范围内")


def get_member_for(user, pk) -> Member:
    return get_visible(
        Member.objects.filter(active=True).select_related("household"),
        user,
        pk,
        field="household__division_code",
        not_found="成员不存在或不在您的管辖范围内",
    )
