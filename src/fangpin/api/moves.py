"""Move requests between areas over HTTP (R-SEC-04): the same services and the same hiding as the pages."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from fangpin.accounts.masking import show_id_number
from fangpin.areas.models import Division
from fangpin.audit.context import using_source
from fangpin.registry import moves
from fangpin.registry.models import Household

router = Router(tags=["跨地区迁移申请"])


class MoveOut(Schema):
    id: int
    name: str
    id_number: str
    status: str
    status_name: str
    target_place: str
    target_household_id: int | None
    holder_place: str
    holder_household_id: int | None
    released: bool
    accepted: bool
    requested_at: dt.datetime
    note: str


class ApproveIn(Schema):
    target_household_id: int | None = None
    relation: str = ""
    note: str = ""


class DeclineIn(Schema):
    reason: str = ""


def _out(user, move) -> dict:
    sides = moves.sides_of(user, move)
    names = dict(Division.objects.filter(code__in=[move.target_division_code[:12], move.holder_division_code[:12]])
                 .values_list("code", "name"))
    return {
        "id": move.pk, "name": move.name, "id_number": show_id_number(user, move.id_number), "status": move.status,
        "status_name": move.get_status_display(), "target_place": names.get(move.target_division_code[:12], ""),
        "target_household_id": move.target_household_id if "target" in sides else None,
        "holder_place": names.get(move.holder_division_code[:12], "") if "holder" in sides else "其他地区",
        "holder_household_id": move.holder_member.household_id if "holder" in sides else None,
        "released": move.released_at is not None, "accepted": move.accepted_at is not None,
        "requested_at": move.requested_at, "note": move.note,
    }


@router.get("/move-requests", response=list[MoveOut], summary="跨地区迁移申请（迁出地或迁入地在本人管辖范围内）")
def list_moves(request, status: str = "open"):
    qs = moves.moves_visible_to(request.user).select_related("holder_member")
    if status in ("open", "done", "declined"):
        qs = qs.filter(status=status)
    return [_out(request.user, m) for m in qs[:500]]


@router.get("/move-requests/{move_id}", response=MoveOut, summary="迁移申请详情")
def get_move(request, move_id: int):
    return _out(request.user, moves.get_move_for(request.user, move_id))


@router.post("/move-requests/{move_id}/approve", response=MoveOut,
             summary="县乡村振兴局同意迁出或迁入（双方均同意后完成迁移）")
def approve_move(request, move_id: int, payload: ApproveIn):
    move = moves.get_move_for(request.user, move_id)
    target = None
    if payload.target_household_id is not None:
        from fangpin.registry.selectors import get_household_for

        target: Household = get_household_for(request.user, payload.target_household_id)
    with using_source("api", request.path):
        move = moves.approve_move(request.user, move, target_household=target, relation=payload.relation,
                                  note=payload.note)
    return _out(request.user, move)


@router.post("/move-requests/{move_id}/decline", response=MoveOut, summary="不予迁移（须填写原因）")
def decline_move(request, move_id: int, payload: DeclineIn):
    move = moves.get_move_for(request.user, move_id)
    with using_source("api", request.path):
        move = moves.decline_move(request.user, move, reason=payload.reason)
    return _out(request.user, move)
