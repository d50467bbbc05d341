"""Moves of people between areas (R-SEC-04, R-REG-02).

One person belongs to one household. When a user enters an ID number that is registered outside
their own area, nothing about the other household is revealed to them — not the county, village,
household number or whether the person is still in the household. Instead a move request is
raised; the county offices of both sides see it and act on it (the holding side releases the
person, the receiving side accepts them) and, when both have agreed, the member moves.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from fangpin.accounts.scoping import in_scope, scope_filter
from fangpin.areas.locks import county_write_lock
from fangpin.audit.services import record
from fangpin.policy.idnumbers import mask_id_number
from fangpin.validation import Errors, scrub, text

from . import vocab
from .models import Household, Member, MemberMove, MoveRequest, MoveStatus

ELSEWHERE_MESSAGE = (
    "身份证号 {masked} 已在其他地区登记。一人只能属于一户；跨地区迁移由县乡村振兴局办理{request}。"
)


def elsewhere_message(id_number: str, request: MoveRequest | None = None) -> str:
    """The neutral answer for a person registered outside the user's area: no place, no household."""
    ref = f"，已生成迁移申请（编号 {request.pk}），请等待县乡村振兴局办理" if request is not None else ""
    return ELSEWHERE_MESSAGE.format(masked=mask_id_number(id_number), request=ref)


def holder_visible(actor, holder: Member) -> bool:
    """May ``actor`` be told where ``holder`` is registered? System jobs (no actor) may."""
    return actor is None or in_scope(actor, holder.household.division_code)


# --- reads ----------------------------------------------------------------------------------------


def moves_visible_to(user):
    """Requests whose receiving or holding side lies in the user's area."""
    code = getattr(user, "scope_code", None) if user is not None and user.is_authenticated else None
    if code is None:
        return MoveRequest.objects.none()
    qs = MoveRequest.objects.all()
    if code == "":
        return qs
    target = scope_filter(qs, user, "target_division_code").values("pk")
    holder = scope_filter(qs, user, "holder_division_code").values("pk")
    return qs.filter(Q(pk__in=target) | Q(pk__in=holder))


def get_move_for(user, pk) -> MoveRequest:
    try:
        return moves_visible_to(user).select_related("target_household", "holder_member__household").get(pk=pk)
    except (ValueError, TypeError, MoveRequest.DoesNotExist):
        raise Http404("迁移申请不存在或不在您的管辖范围内")


def sides_of(user, move: MoveRequest) -> set[str]:
    """Which side(s) of the request the user stands on: "holder", "target"."""
    sides = set()
    if in_scope(user, move.holder_division_code):
        sides.add("holder")
    if in_scope(user, move.target_division_code):
        sides.add("target")
    return sides


# --- writes ---------------------------------------------------------------------------------------


def _clean_details(details: dict | None) -> dict:
    """What the requesting user typed that helps the county office (kept short, without NUL characters)."""
    keep = ("relation", "phone", "name")
    cleaned = {k: scrub(str(v)).strip()[:60] for k, v in (details or {}).items() if k in keep and v is not None}
    return {k: v for k, v in cleaned.items() if v}


@transaction.atomic
def request_move(actor, *, id_number: str, division_code: str, name: str = "", target_household: Household | None = None,
                 details: dict | None = None, source: str = "web", source_ref: str = "") -> MoveRequest | None:
    """Raise (or find the open) move request for a person held in another household.

    Returns ``None`` when nobody holds the ID number. An open request for the same person and the
    same receiving area is reused, so repeated attempts do not pile up requests.
    """
    holder = Member.objects.select_related("household").filter(id_number=id_number).first()
    if holder is None:
        return None
    target_code = target_household.division_code if target_household is not None else division_code
    existing = MoveRequest.objects.filter(
        id_number=id_number, target_division_code=target_code, status=MoveStatus.OPEN
    ).first()
    if existing is not None:
        return existing
    move = MoveRequest.objects.create(
        id_number=id_number,
        name=scrub(str(name or "")).strip()[:40],
        details=_clean_details(details),
        target_household=target_household,
        target_division_code=target_code,
        holder_member=holder,
        holder_division_code=holder.household.division_code,
        source=source,
        source_ref=source_ref[:300],
        requested_by=actor if actor is not None and actor.is_authenticated else None,
    )
    record(actor, "move.request", move, household=target_household, division_code=target_code,
           after={"id_number": id_number, "name": move.name, "target_division_code": target_code})
    return move


def request_moves(actor, items: list[dict], *, source: str = "import", source_ref: str = "") -> list[MoveRequest]:
    """Raise move requests for many people at once (imports): ``items`` of id_number, name, division_code."""
    out = []
    for item in items:
        move = request_move(actor, id_number=item["id_number"], name=item.get("name", ""),
                            division_code=item["division_code"], details=item.get("details"),
                            source=source, source_ref=source_ref)
        if move is not None:
            out.append(move)
    return out


def _require_handler(actor, move: MoveRequest) -> set[str]:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("请先登录")
    if not actor.caps.handle_moves:
        raise PermissionDenied(f"{actor.role_label}角色不能办理跨地区迁移，请联系县乡村振兴局")
    sides = sides_of(actor, move)
    if not sides:
        raise Http404("迁移申请不存在或不在您的管辖范围内")
    return sides


def _lock(move: MoveRequest) -> MoveRequest:
    move = MoveRequest.objects.select_for_update().get(pk=move.pk)
    if move.status != MoveStatus.OPEN:
        raise ValidationError({"__all__": f"该迁移申请已办结（{move.get_status_display()}），不能再办理"})
    return move


@transaction.atomic
def approve_move(actor, move: MoveRequest, *, target_household: Household | None = None, relation: str = "",
                 note: str = "") -> MoveRequest:
    """The county office of one side (or both) agrees; with both agreements the member moves."""
    move = _lock(move)
    sides = _require_handler(actor, move)
    errors = Errors()
    note = text(note, "note", "办理说明", errors, required=False, max_length=300)
    errors.raise_if_any()
    now = timezone.now()
    before = {"released": move.released_at is not None, "accepted": move.accepted_at is not None}
    if "target" in sides:
        household = target_household or move.target_household
        if household is None:
            raise ValidationError({"target_household": "请选择迁入户"})
        if not in_scope(actor, household.division_code) or not household.division_code.startswith(
                move.target_division_code[:12]):
            raise ValidationError({"target_household": "迁入户须在本申请的迁入村内、且在您的管辖范围内"})
        relation = relation or move.details.get("relation", "")
        if relation not in vocab.values("relation"):
            raise ValidationError({"relation": f"与户主关系“{relation or '（空）'}”不在字典值中"})
        if relation in ("户主", "配偶") and household.members.filter(active=True, relation=relation).exists():
            raise ValidationError({"relation": f"迁入户已有{relation}"})
        move.target_household = household
        move.details = {**move.details, "relation": relation}
        move.accepted_by, move.accepted_at = actor, now
    if "holder" in sides:
        move.released_by, move.released_at = actor, now
    if note:
        move.note = note
    move.save()
    after = {"released": move.released_at is not None, "accepted": move.accepted_at is not None}
    record(actor, "move.approve", move, household=move.target_household, division_code=move.target_division_code,
           before=before, after=after | {"note": move.note})
    if move.released_at and move.accepted_at:
        _execute(actor, move)
    return move


def _execute(actor, move: MoveRequest) -> None:
    member = Member.objects.select_for_update().select_related("household").get(pk=move.holder_member_id)
    source = member.household
    target = move.target_household
    for code in (source.division_code, target.division_code):  # an import applying in either county keeps it out (R-OPS-04)
        county_write_lock(code)
    relation = move.details.get("relation") or member.relation
    if relation in ("户主", "配偶") and target.members.filter(active=True, relation=relation).exclude(pk=member.pk).exists():
        raise ValidationError({"relation": f"迁入户已有{relation}"})
    reason = f"跨地区迁移（申请编号 {move.pk}）"
    before = {"household": source.number, "relation": member.relation, "active": member.active}
    member.household = target
    member.relation = relation
    member.relation_order = vocab.RELATION_ORDER.get(relation, 99)
    member.active = True
    member.left_reason = ""
    member.save()
    MemberMove.objects.create(member=member, from_household=source, to_household=target, reason=reason, actor=actor)
    after = {"household": target.number, "relation": relation, "reason": reason}
    # Each side's trail names only its own household.
    record(actor, "member.move", member, household=source, before=before, after={"reason": reason, "active": False})
    record(actor, "member.move", member, household=target, before={"reason": reason}, after=after)
    move.status = MoveStatus.DONE
    move.closed_at = timezone.now()
    move.save()
    record(actor, "move.done", move, household=target, division_code=move.target_division_code,
           after={"status": move.status})


@transaction.atomic
def decline_move(actor, move: MoveRequest, *, reason: str) -> MoveRequest:
    move = _lock(move)
    _require_handler(actor, move)
    errors = Errors()
    reason = text(reason, "reason", "不予迁移原因", errors, max_length=300, missing="不予迁移必须填写原因")
    errors.raise_if_any()
    move.status = MoveStatus.DECLINED
    move.note = reason
    move.closed_at = timezone.now()
    move.save()
    record(actor, "move.decline", move, household=move.target_household, division_code=move.target_division_code,
           after={"status": move.status, "reason": move.note})
    return move
