"""Member changes seen on visits: proposed, verified by the village, applied through the registry's services (R-TRACK-02, 账实相符).

A contact (or anyone who visits) proposes a birth, death, marriage or move in or out; nothing reaches the
registry until a village cadre or township staff member of the area verifies it. Verifying re-checks the
proposal against the registry as it is then and applies it through ``fangpin.registry.services``
(``add_member`` for a person joining, ``remove_member`` with the reason for a person leaving). A rejected
change keeps its reason. A decided change cannot be decided again.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fangpin import validation
from fangpin.accounts.masking import mask_text, show_id_number
from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import require_area, require_role, scope_filter
from fangpin.audit.services import record
from fangpin.policy.idnumbers import mask_id_number
from fangpin.profiles.services import today as local_today
from fangpin.registry import services as registry
from fangpin.registry.models import Household, Member
from fangpin.validation import Errors, fail, scrub

from .models import JOINING_KINDS, LEAVING_KINDS, MemberChange, MemberChangeKind, MemberChangeStatus

PROPOSE_ROLES = {Role.ASSISTANCE_CONTACT, Role.GRID_WORKER, Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF,
                 Role.COUNTY_OFFICE}
DECIDE_ROLES = {Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF}
WHY = "家庭成员变动须由具体人员提出、村级核实并留痕"
# The reason written into the registry when a person leaves (registry.services.remove_member).
LEAVING_REASONS = {MemberChangeKind.DEATH: "死亡", MemberChangeKind.MARRY_OUT: "婚出", MemberChangeKind.MOVE_OUT: "迁出"}
ELSEWHERE = "该身份证号已在其他户登记，一人只能属于一户；如确为迁入，请由村里办理“成员迁移”"
HAPPENED_BACK_DAYS = 366
# Joining persons: the registry's member fields a proposal may carry (besides name, id, sex, birth, relation).
OPTIONAL_FIELDS = ("ethnicity", "education", "student_status", "health", "disability_grade", "labour",
                   "employment", "phone", "medical_insurance", "pension_insurance")

ACTION_LABELS = {
    "member_change.propose": "提出家庭成员变动",
    "member_change.verify": "核实家庭成员变动并更新登记",
    "member_change.reject": "核实家庭成员变动（不符）",
}


def _today(today):
    return today or local_today()


def _prefixed(errors: dict, prefix: str) -> dict:
    return {f"{prefix}{k}": v for k, v in errors.items()} if prefix else dict(errors)


def clean_proposal(actor, household: Household, data: dict, today: dt.date, *, prefix: str = "",
                   exclude_change: int | None = None) -> dict:
    """Validate one proposal; every problem at once, each naming its field (``prefix`` + field) in Chinese.
    Returns ``{"kind", "member", "data", "happened_on", "note"}``."""
    data = scrub(dict(data or {}))
    errors = Errors()
    kind = validation.choice(data.get("kind"), "kind", "变动类型", errors, choices=dict(MemberChangeKind.choices))
    note = validation.text(data.get("note"), "note", "说明", errors, required=False, max_length=200)
    raw_happened = data.get("happened_on") or (data.get("birth_date") if kind == MemberChangeKind.BIRTH else None)
    happened_on = validation.date(raw_happened, "happened_on", "变动日期", errors, not_after=today,
                                  not_before=today - dt.timedelta(days=HAPPENED_BACK_DAYS), before_label="")
    member, person = None, {}
    pending = MemberChange.objects.filter(household=household, status=MemberChangeStatus.PROPOSED)
    if exclude_change:
        pending = pending.exclude(pk=exclude_change)
    if kind in LEAVING_KINDS:
        raw = data.get("member")
        member = None
        if not validation.is_empty(raw):
            try:
                member = Member.objects.filter(household=household, active=True, pk=int(str(raw).strip())).first()
            except ValueError:
                member = None
        if member is None:
            errors["member"] = "请选择本户在户的成员（变动成员）"
        elif pending.filter(member=member).exists():
            errors["member"] = f"{member.name}已有一条待核实的变动，请等村里核实后再提"
    elif kind in JOINING_KINDS:
        # Text for the registry's checks, whatever JSON type came in (a number, a list …).
        fields = {f: str(data.get(f)).strip() for f in ("name", "id_number", "sex", "birth_date", "relation",
                                                       *OPTIONAL_FIELDS) if not validation.is_empty(data.get(f))}
        try:
            person = registry.clean_member_data(fields, household, actor=actor)
        except ValidationError as exc:
            errors.absorb(exc)
        info_errors: dict = {}
        id_info = validation.id_number(fields.get("id_number"), "id_number", "身份证号", info_errors, today=today)
        if id_info is not None:
            if Member.objects.filter(id_number=id_info.number).exists():
                # Never say where (R-SEC-04): the same words whether the holder is in this area or not.
                errors["id_number"] = ELSEWHERE
            elif pending.filter(data__id_number=id_info.number).exists():
                errors["id_number"] = "该身份证号已有一条待核实的加入申请"
            birth = id_info.birth_date
            if kind == MemberChangeKind.BIRTH and birth and happened_on and birth != happened_on \
                    and "happened_on" not in errors:
                errors["happened_on"] = f"出生的变动日期应为出生日期（身份证号显示为{birth:%Y-%m-%d}）"
            if kind == MemberChangeKind.BIRTH and birth and birth < today - dt.timedelta(days=HAPPENED_BACK_DAYS):
                errors["birth_date"] = "出生登记的应为近一年内出生的婴儿；其他人员加入请选择婚入或迁入"
        if person:
            person = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in person.items()
                      if k in ("name", "id_number", "sex", "birth_date", "relation", *OPTIONAL_FIELDS)
                      and v not in (None, "")}
    if errors:
        raise ValidationError(_prefixed(errors, prefix))
    return {"kind": kind, "member": member, "data": person, "happened_on": happened_on, "note": note}


def _snapshot(change: MemberChange) -> dict:
    data = dict(change.data or {})
    if data.get("id_number"):
        data["id_number"] = mask_id_number(data["id_number"])
    return {"kind": change.kind, "member": change.member.name if change.member_id else "", "data": data,
            "happened_on": change.happened_on, "note": change.note, "status": change.status}


@transaction.atomic
def propose(actor, household: Household, data: dict, *, visit=None, today: dt.date | None = None) -> MemberChange:
    """Propose one member change of ``household`` (from a visit or on its own); the registry is unchanged."""
    require_role(actor, PROPOSE_ROLES, "提出家庭成员变动", WHY)
    household = Household.objects.select_for_update().get(pk=household.pk)
    require_area(actor, household.division_code, "该农户不在您的管辖范围内")
    day = _today(today)
    clean = clean_proposal(actor, household, data, day)
    change = MemberChange.objects.create(household=household, division_code=household.division_code, visit=visit,
                                         kind=clean["kind"], member=clean["member"], data=clean["data"],
                                         happened_on=clean["happened_on"], note=clean["note"], proposed_by=actor)
    record(actor, "member_change.propose", change, household=household, after=_snapshot(change))
    return change


def _locked(actor, change: MemberChange, what: str) -> MemberChange:
    require_role(actor, DECIDE_ROLES, what, WHY)
    change = MemberChange.objects.select_for_update(of=("self",)).select_related("household", "member").get(pk=change.pk)
    require_area(actor, change.division_code, "该变动不在您的管辖范围内")
    if change.status != MemberChangeStatus.PROPOSED:
        when = f"于{timezone.localtime(change.verified_at):%Y-%m-%d}" if change.verified_at else ""
        fail("__all__", f"该变动已{when}处理（{change.get_status_display()}），不能再次核实或驳回")
    return change


@transaction.atomic
def verify(actor, change: MemberChange, *, note: str = "", today: dt.date | None = None) -> MemberChange:
    """The village confirms the change: re-checked against the registry now, then applied through the
    registry's services (a person joins with ``add_member``; one leaves with ``remove_member``)."""
    change = _locked(actor, change, "核实家庭成员变动")
    day = _today(today)
    errors = Errors()
    note = validation.text(note, "note", "核实意见", errors, required=False, max_length=200)
    errors.raise_if_any()
    household = change.household
    payload = {"kind": change.kind, "happened_on": change.happened_on, "note": change.note,
               "member": change.member_id or "", **(change.data or {})}
    # Re-check as the registry is now (someone may have registered the person meanwhile).
    clean = clean_proposal(actor, household, payload, max(day, change.happened_on), exclude_change=change.pk)
    before = _snapshot(change)
    if change.kind in JOINING_KINDS:
        member = registry.add_member(actor, household, dict(clean["data"]))
    else:
        member = registry.remove_member(actor, clean["member"], LEAVING_REASONS[change.kind])
    change.status = MemberChangeStatus.APPLIED
    change.applied_member = member
    change.verified_by, change.verified_at, change.decision_note = actor, timezone.now(), note
    change.save(update_fields=["status", "applied_member", "verified_by", "verified_at", "decision_note"])
    record(actor, "member_change.verify", change, household=household, before=before,
           after=_snapshot(change) | {"decision_note": note})
    return change


@transaction.atomic
def reject(actor, change: MemberChange, note: str, *, today: dt.date | None = None) -> MemberChange:
    """The village finds the change does not match reality; the reason is required."""
    change = _locked(actor, change, "驳回家庭成员变动")
    errors = Errors()
    note = validation.text(note, "note", "核实意见", errors, max_length=200, missing="驳回时请填写核实意见（哪里不符）")
    errors.raise_if_any()
    before = _snapshot(change)
    change.status = MemberChangeStatus.REJECTED
    change.verified_by, change.verified_at, change.decision_note = actor, timezone.now(), note
    change.save(update_fields=["status", "verified_by", "verified_at", "decision_note"])
    record(actor, "member_change.reject", change, household=change.household, before=before,
           after=_snapshot(change) | {"decision_note": note})
    return change


# --- reads ---------------------------------------------------------------------------------------------


def changes_visible_to(user):
    return scope_filter(MemberChange.objects.all(), user, "division_code")


def describe(user, change: MemberChange) -> str:
    """One line for lists: who joins or leaves, masked as the user may see it."""
    data = change.data or {}
    if change.kind in JOINING_KINDS:
        who = f"{data.get('name', '')}（{show_id_number(user, data.get('id_number', ''))}，{data.get('relation', '')}）"
    else:
        who = change.member.name if change.member_id else ""
    return mask_text(user, f"{change.get_kind_display()}：{who}")


def _pending(user) -> list[dict]:
    if getattr(user, "role", None) not in DECIDE_ROLES:
        return []
    qs = changes_visible_to(user).filter(status=MemberChangeStatus.PROPOSED)
    count = qs.count()
    if not count:
        return []
    first = qs.order_by("proposed_at").values_list("proposed_at", flat=True).first()
    return [{"title": f"家庭成员变动待核实 {count} 条", "url": reverse("followup:member_change_list") + "?status=proposed",
             "due": timezone.localtime(first).date() if first else None, "overdue": False, "remaining": ""}]


def _panel(user, household) -> dict | None:
    rows = list(changes_visible_to(user).filter(household_id=household.pk, status=MemberChangeStatus.PROPOSED)
                .select_related("member").order_by("proposed_at")[:20])
    if not rows:
        return None
    items = [{"pk": c.pk, "text": describe(user, c), "happened_on": c.happened_on} for c in rows]
    return {"title": "待核实的家庭成员变动", "template": "followup/monthly/_member_panel.html",
            "context": {"changes": items, "can_decide": user.role in DECIDE_ROLES}, "order": 40}


def register() -> None:
    """Hook this module into the pages (pending actions, household panels and badges, audit labels)."""
    from fangpin.accounts.pending import PENDING_PROVIDERS
    from fangpin.audit.services import ACTION_LABELS as LABELS
    from fangpin.registry.panels import HOUSEHOLD_PANELS

    LABELS.update(ACTION_LABELS)
    if _pending not in PENDING_PROVIDERS:
        PENDING_PROVIDERS.append(_pending)
    if _panel not in HOUSEHOLD_PANELS:
        HOUSEHOLD_PANELS.append(_panel)
