"""Member changes seen on visits: proposed, verified by the village and applied to the registry through
its services, or rejected with a reason (R-TRACK-02, 账实相符)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangpin.accounts.scoping import OutOfScope
from fangpin.audit.models import Event
from fangpin.followup import members
from fangpin.followup.models import MemberChange
from fangpin.registry.models import Member, MemberMove
from tests.factories import id_number

DAY = dt.date(2026, 11, 20)


def baby(**over):
    return {"kind": "birth", "name": "蔡小雨", "id_number": id_number(dt.date(2026, 10, 2), False),
            "relation": "之女", "happened_on": "2026-10-02", **over}


def rows():
    return (MemberChange.objects.count(), Member.objects.count(), Member.objects.filter(active=True).count(),
            MemberMove.objects.count(), Event.objects.filter(action__startswith="member").count())


def test_propose_and_verify_a_birth_adds_the_member_R_TRACK_02(households, personas):
    h = households["a1"]
    change = members.propose(personas["contact"], h, baby(), today=DAY)
    assert change.status == "proposed" and not h.members.filter(name="蔡小雨").exists()
    done = members.verify(personas["cadre_a"], change, note="已入户核实出生医学证明", today=DAY)
    member = h.members.get(name="蔡小雨")
    assert done.status == "applied" and done.applied_member == member and member.active
    assert member.sex == "女" and member.birth_date == dt.date(2026, 10, 2) and member.relation == "之女"
    assert Event.objects.filter(action="member_change.verify").count() == 1
    assert Event.objects.filter(action="member.create").count() == 1  # through the registry's door


def test_verify_a_death_makes_the_member_inactive_with_the_reason_R_TRACK_02(households, personas):
    h = households["a1"]
    wife = h.members.get(name="王秀英")
    change = members.propose(personas["contact"], h, {"kind": "death", "member": wife.pk, "happened_on": "2026-11-02",
                                                      "note": "病故"}, today=DAY)
    members.verify(personas["township_officer"], change, today=DAY)
    wife.refresh_from_db()
    assert not wife.active and wife.left_reason == "死亡"
    assert MemberMove.objects.filter(member=wife, to_household=None).exists()


def test_id_already_registered_anywhere_refused_without_saying_where_R_TRACK_02(households, personas):
    taken = households["c1"].members.first().id_number
    before = rows()
    with pytest.raises(ValidationError) as exc:
        members.propose(personas["contact"], households["a1"],
                        {"kind": "move_in", "name": "马某", "id_number": taken, "relation": "其他",
                         "happened_on": "2026-11-01"}, today=DAY)
    msg = exc.value.message_dict["id_number"][0]
    assert msg.startswith("该身份证号已在其他户登记") and "马桥" not in msg and "户编号" not in msg
    assert rows() == before


def test_bad_proposals_refused_naming_the_field_R_TRACK_02(households, personas):
    h = households["a1"]
    before = rows()
    with pytest.raises(ValidationError) as exc:
        members.propose(personas["contact"], h, baby(id_number="340621202610020000"), today=DAY)
    assert "身份证号" in exc.value.message_dict["id_number"][0]
    with pytest.raises(ValidationError) as exc:
        members.propose(personas["contact"], h, baby(happened_on="2026-12-01"), today=DAY)
    assert "变动日期不能晚于" in exc.value.message_dict["happened_on"][0]
    with pytest.raises(ValidationError) as exc:
        members.propose(personas["contact"], h, {"kind": "death", "member": households["b1"].members.first().pk,
                                                 "happened_on": "2026-11-01"}, today=DAY)
    assert "本户在户的成员" in exc.value.message_dict["member"][0]
    with pytest.raises(ValidationError) as exc:
        members.propose(personas["contact"], h, baby(sex="男"), today=DAY)
    assert "与身份证号不符" in exc.value.message_dict["sex"][0]
    assert rows() == before


def test_reject_needs_a_note_and_a_decided_change_cannot_be_decided_again_R_TRACK_02(households, personas):
    h = households["a1"]
    change = members.propose(personas["contact"], h, baby(), today=DAY)
    with pytest.raises(ValidationError) as exc:
        members.reject(personas["cadre_a"], change, "")
    assert "核实意见" in exc.value.message_dict["note"][0]
    members.reject(personas["cadre_a"], change, "经核实该婴儿户口登记在外祖父家")
    change.refresh_from_db()
    assert change.status == "rejected" and change.decision_note.startswith("经核实")
    before = rows()
    with pytest.raises(ValidationError) as exc:
        members.verify(personas["cadre_a"], change, today=DAY)
    assert "不能再次核实或驳回" in exc.value.message_dict["__all__"][0]
    with pytest.raises(ValidationError):
        members.reject(personas["cadre_a"], change, "再次驳回")
    assert rows() == before and not h.members.filter(name="蔡小雨").exists()


def test_verify_rechecks_against_the_registry_R_TRACK_02(households, personas):
    h = households["a1"]
    change = members.propose(personas["contact"], h, baby(), today=DAY)
    Member.objects.create(household=households["b1"], id_number=change.data["id_number"], name="蔡小雨", sex="女",
                          birth_date=dt.date(2026, 10, 2), relation="之女")
    before = rows()
    with pytest.raises(ValidationError) as exc:
        members.verify(personas["cadre_a"], change, today=DAY)
    assert "该身份证号已在其他户登记" in exc.value.message_dict["id_number"][0]
    change.refresh_from_db()
    assert change.status == "proposed" and rows() == before


def test_who_may_decide_R_TRACK_02(households, personas):
    change = members.propose(personas["contact"], households["a1"], baby(), today=DAY)
    with pytest.raises(PermissionDenied):
        members.verify(personas["contact"], change, today=DAY)
    with pytest.raises(PermissionDenied):
        members.verify(personas["grid_worker"], change, today=DAY)
    with pytest.raises(OutOfScope):
        members.verify(personas["cadre_b"], change, today=DAY)
    change.refresh_from_db()
    assert change.status == "proposed"


def test_pending_provider_lists_waiting_changes_for_the_village_R_TRACK_02(households, personas):
    members.propose(personas["contact"], households["a1"], baby(), today=DAY)
    items = members._pending(personas["cadre_a"])
    assert items and "待核实 1 条" in items[0]["title"]
    assert members._pending(personas["cadre_b"]) == [] and members._pending(personas["contact"]) == []
