"""Assistance contacts (帮扶联系人, R-AID-05, R-ID-07).

A monitored household gets an assistance contact when it is filed: one household per contact in
principle, at most ``assistance.contact_max_households`` (profile, 2 by default). The contact is a
user with the role assistance contact or township staff whose area holds the household. A
reassignment ends the current row and starts a new one, so who was responsible when stays known.

:func:`assign_contact` locks the contact's user row before counting their current households, so two
assignments at the same moment cannot give a contact more than the limit (PostgreSQL; SQLite has
one writer at a time anyway).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from fangpin import validation
from fangpin.accounts.models import User
from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import in_scope, require_area, require_role, roles_text, scope_filter
from fangpin.audit.services import record
from fangpin.policy.profiles import ProfileError
from fangpin.profiles.services import profile_for_county
from fangpin.profiles.services import today as local_today
from fangpin.registry.models import Household, MonitoringStatus
from fangpin.validation import Errors, fail

from .models import ContactAssignment

ASSIGN_ROLES = (Role.TOWNSHIP_STAFF,)
CONTACT_ROLES = (Role.ASSISTANCE_CONTACT, Role.TOWNSHIP_STAFF)
WHY = "帮扶联系人的确定和更换须由具体人员办理并留痕"

ACTION_NAMES = {
    "contact.assign": "确定帮扶联系人",
    "contact.reassign": "更换帮扶联系人",
}


def max_households(code: str) -> int:
    try:
        return int(profile_for_county(code).param("assistance.contact_max_households"))
    except ProfileError:
        return 2


def current_contact(household) -> User | None:
    """The household's current assistance contact (None when none is assigned)."""
    pk = household.pk if hasattr(household, "pk") else household
    row = (ContactAssignment.objects.filter(household_id=pk, ended_on__isnull=True).select_related("contact")
           .first())
    return row.contact if row else None


def current_assignment(household) -> ContactAssignment | None:
    return (ContactAssignment.objects.filter(household_id=household.pk, ended_on__isnull=True)
            .select_related("contact", "assigned_by").first())


def history(household):
    return (ContactAssignment.objects.filter(household_id=household.pk)
            .select_related("contact", "assigned_by", "ended_by").order_by("-assigned_on", "-pk"))


def households_of(contact):
    """The households a contact currently looks after."""
    return Household.objects.filter(contact_assignments__contact=contact, contact_assignments__ended_on__isnull=True)


def candidates(household, *, actor=None):
    """Users who may become the household's contact, with how many households each has now (one query)."""
    qs = User.objects.filter(is_active=True, role__in=CONTACT_ROLES).select_related("division")
    if actor is not None:
        qs = scope_filter(qs, actor, "division__code")
    qs = qs.annotate(current=Count("contact_assignments", filter=Q(contact_assignments__ended_on__isnull=True)))
    return [u for u in qs.order_by("role", "display_name", "pk") if in_scope(u, household.division_code)]


def _contact(raw, household: Household, errors: Errors) -> User | None:
    if isinstance(raw, User):
        user = raw
    else:
        try:
            user = User.objects.select_related("division").filter(pk=int(raw), is_active=True).first()
        except (TypeError, ValueError):
            user = None
    if user is None or not user.is_active or user.role not in CONTACT_ROLES or not in_scope(user, household.division_code):
        errors["contact"] = f"帮扶联系人须为该户所在村或乡镇的{roles_text(CONTACT_ROLES)}"
        return None
    return user


@transaction.atomic
def assign_contact(actor, household, contact, *, on=None, reason: str = "", today: dt.date | None = None):
    """Make ``contact`` the household's assistance contact from ``on`` (default today).

    Refused (Chinese message, nothing written): a role other than township staff, a household outside
    the actor's area (not found), a household not monitored, a contact who is not an assistance
    contact or township staff of the household's area, a contact who already has the maximum number of
    households, a reassignment without a reason. The same contact again changes nothing."""
    today = today or local_today()
    require_role(actor, ASSIGN_ROLES, "确定帮扶联系人", WHY)
    require_area(actor, household.division_code, "该农户不在您的管辖范围内")
    household = Household.objects.select_for_update().get(pk=household.pk)
    if household.monitoring_status != MonitoringStatus.MONITORED:
        fail("__all__", f"户 {household.number} 不是监测对象（风险未消除），不需要确定帮扶联系人")
    errors = Errors()
    on_day = validation.date(on, "assigned_on", "确定日期", errors, required=False, not_after=today,
                             not_before=household.included_on, before_label="纳入时间 ") or today
    reason = validation.text(reason, "reason", "说明", errors, required=False, max_length=200)
    contact = _contact(contact, household, errors)
    errors.raise_if_any()
    current = (ContactAssignment.objects.select_for_update().filter(household=household, ended_on__isnull=True)
               .select_related("contact").first())
    if current is not None and current.contact_id == contact.pk:
        return current, False
    if current is not None and not reason:
        fail("reason", "更换帮扶联系人须填写说明（更换原因）")
    if current is not None and on_day < current.assigned_on:
        fail("assigned_on", f"更换日期不能早于现联系人的确定日期 {current.assigned_on:%Y-%m-%d}")
    # Lock the contact's row: concurrent assignments to the same person queue here, then count.
    User.objects.select_for_update().filter(pk=contact.pk).first()
    limit = max_households(household.division_code)
    count = ContactAssignment.objects.filter(contact=contact, ended_on__isnull=True).exclude(household=household).count()
    if count >= limit:
        fail("contact", f"{contact}已联系{count}户，每名帮扶联系人最多联系{limit}户（原则上1户），请另选联系人")
    before = None
    if current is not None:
        before = {"contact": str(current.contact), "assigned_on": current.assigned_on}
        current.ended_on = on_day
        current.ended_by = actor
        current.end_reason = reason
        current.save(update_fields=["ended_on", "ended_by", "end_reason"])
    try:
        with transaction.atomic():
            row = ContactAssignment.objects.create(household=household, contact=contact, assigned_on=on_day,
                                                   assigned_by=actor, reason=reason)
    except IntegrityError:
        fail("__all__", "该户的帮扶联系人刚被他人确定，请刷新后查看")
    action = "contact.reassign" if current is not None else "contact.assign"
    record(actor, action, row, before=before,
           after={"contact": str(contact), "contact_role": contact.role_label, "assigned_on": on_day, "reason": reason},
           household=household)
    return row, True
