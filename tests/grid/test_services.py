"""Grid writes through the services (R-GRID-01 … R-GRID-06): splitting a group by the naming rule, moving
households within a village, grid workers and their pairings, working groups — and every refusal writes
nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangpin.accounts.roles import Role
from fangpin.areas.models import Division, GridPairing, GridWorker, Level, WorkingGroup, WorkingGroupMember
from fangpin.audit.models import Event
from fangpin.grid import services
from fangpin.grid.structure import structure_for
from fangpin.registry.models import Household
from tests.factories import division, user

from .conftest import fill


def state():
    """Everything a grid write could touch."""
    return (
        list(Household.objects.order_by("pk").values_list("pk", "grid_id", "group_id", "division_code")),
        list(Division.objects.order_by("pk").values_list("pk", "code", "name")),
        list(GridWorker.objects.order_by("pk").values()),
        list(GridPairing.objects.order_by("pk").values()),
        list(WorkingGroupMember.objects.order_by("pk").values()),
        Event.objects.count(),
        Household.history.count(),
    )


def refused(call, field: str, text: str):
    before = state()
    with pytest.raises(ValidationError) as exc:
        call()
    assert field in exc.value.message_dict, exc.value.message_dict
    assert text in exc.value.message_dict[field][0], exc.value.message_dict
    assert state() == before, "a refused grid write changed something"
    return exc.value.message_dict[field][0]


# --- splitting and moving (R-GRID-02, R-GRID-06) ----------------------------------------------------


def test_split_names_the_grids_by_the_004_rule_and_shares_households_evenly_R_GRID_02(county, households, personas):
    cadre = personas["cadre_a"]
    fill(county["grid_a1"], 89)  # 90 with the fixture's household: over the hard maximum of 70
    grids = services.split_group(cadre, county["ga1"], 3)
    assert [g.name for g in grids] == ["第一村民小组第一网格", "第一村民小组第二网格", "第一村民小组第三网格"]
    assert [g.code for g in grids] == ["34062110020100101", "34062110020100102", "34062110020100103"]
    sizes = [Household.objects.filter(grid=g).count() for g in grids]
    assert sizes == [30, 30, 30]
    # Every household of the group is in exactly one of them, and its scope code is its grid's.
    assert Household.objects.filter(group=county["ga1"]).exclude(grid__in=grids).count() == 0
    for g in grids:
        assert set(Household.objects.filter(grid=g).values_list("division_code", flat=True)) == {g.code}
    assert Event.objects.filter(action="grid.split", object_id=str(county["ga1"].pk)).count() == 1
    assert Event.objects.filter(action="grid.assign").count() == 60
    assert Event.objects.filter(action="division.create").count() == 2
    assert Household.history.filter(history_change_reason="调整网格").count() == 60


def test_split_with_eleven_grids_names_them_with_chinese_numerals_R_GRID_02(county, personas):
    fill(county["grid_a2"], 300)
    grids = services.split_group(personas["township_officer"], county["ga2"], 11)
    assert grids[9].name == "第二村民小组第十网格" and grids[10].name == "第二村民小组第十一网格"


def test_split_past_the_hard_maximum_is_refused_and_nothing_is_saved_R_GRID_06(county, households, personas):
    fill(county["grid_a1"], 149)
    message = refused(lambda: services.split_group(personas["cadre_a"], county["ga1"], 2), "grids", "上限70户")
    assert "至少分为3个网格" in message
    refused(lambda: services.split_group(personas["cadre_a"], county["ga1"], 0), "grids", "网格数")
    refused(lambda: services.split_group(personas["cadre_a"], county["ga1"], "三"), "grids", "网格数应为整数")


def test_split_into_fewer_grids_than_the_group_has_is_refused_R_GRID_06(county, personas):
    services.split_group(personas["cadre_a"], county["ga1"], 2)
    refused(lambda: services.split_group(personas["cadre_a"], county["ga1"], 1), "grids", "不能少于现有网格数")


def test_moving_households_into_a_full_grid_is_refused_R_GRID_06(county, households, personas):
    fill(county["grid_a2"], 69)  # 70 with the fixture's a2
    h = households["a1"]
    message = refused(lambda: services.assign_households(personas["cadre_a"], county["va"], [(h.pk, county["grid_a2"].code)]),
                      "grid", "超过本县每个网格最多70户")
    assert "第二村民小组第一网格调整后将有71户" in message


def test_moving_a_household_within_the_village_updates_grid_group_and_scope_R_GRID_06(county, households, personas):
    h = households["a1"]
    moved = services.assign_households(personas["cadre_a"], county["va"], [(h.pk, county["grid_a2"].code)])
    h.refresh_from_db()
    assert moved == [h]
    assert (h.grid, h.group, h.division_code) == (county["grid_a2"], county["ga2"], county["grid_a2"].code)
    event = Event.objects.get(action="grid.assign", household=h)
    assert event.before["grid"] == "第一村民小组第一网格" and event.after["grid"] == "第二村民小组第一网格"
    # The same assignment again changes nothing and records nothing.
    assert services.assign_households(personas["cadre_a"], county["va"], [(h.pk, county["grid_a2"].code)]) == []
    assert Event.objects.filter(action="grid.assign").count() == 1


def test_a_household_given_two_grids_is_refused_R_GRID_06(county, households, personas):
    h = households["a1"]
    refused(lambda: services.assign_households(personas["cadre_a"], county["va"], [
        (h.pk, county["grid_a1"].code), (h.pk, county["grid_a2"].code)]), "household_ids", "同一户被同时分到两个网格")
    refused(lambda: services.assign_households(personas["cadre_a"], county["va"], []), "household_ids", "请至少选择一户")


def test_households_and_grids_of_another_village_are_refused_R_GRID_06(county, households, personas):
    cadre = personas["cadre_a"]
    refused(lambda: services.assign_households(cadre, county["va"], [(households["b1"].pk, county["grid_a1"].code)]),
            "household_ids", "不存在或不属于蔡桥村")
    refused(lambda: services.assign_households(cadre, county["va"], [(households["a1"].pk, county["grid_b1"].code)]),
            "grid", "不存在或不属于蔡桥村")
    before = state()
    with pytest.raises(PermissionDenied):
        services.assign_households(personas["cadre_b"], county["va"], [(households["a1"].pk, county["grid_a2"].code)])
    with pytest.raises(PermissionDenied):
        services.split_group(personas["grid_worker"], county["ga1"], 2)
    assert state() == before


# --- grid workers (R-GRID-03) -------------------------------------------------------------------


def worker_data(**kw):
    return {"name": "蔡德明", "phone": "13955610001", "position": "group_worker", "grid": "34062110020100101",
            "is_group_leader": True, "is_party_member": True, **kw}


def test_a_group_grid_worker_has_role_flags_phone_and_an_optional_login_R_GRID_03(county, personas):
    worker = services.create_worker(personas["cadre_a"], county["va"], worker_data(username="grid_a1"))
    assert (worker.grid, worker.division_code, worker.unit) == (county["grid_a1"], county["grid_a1"].code, county["va"])
    assert worker.is_group_leader and worker.is_party_member and worker.phone == "13955610001"
    assert worker.user == personas["grid_worker"]
    event = Event.objects.get(action="grid_worker.create")
    assert event.after["grid"] == "第一村民小组第一网格" and event.division_code == county["grid_a1"].code
    other = services.create_worker(personas["cadre_a"], county["va"], worker_data(
        name="王秀英", phone="0561-6012345", grid="34062110020100201", is_group_leader=False, other_duty="党员代表"))
    assert other.other_duty == "党员代表" and not other.user


def test_bad_worker_input_is_refused_in_chinese_naming_the_field_R_GRID_03(county, personas):
    cadre = personas["cadre_a"]
    create = services.create_worker
    refused(lambda: create(cadre, county["va"], worker_data(phone="1234")), "phone", "联系电话格式不正确")
    refused(lambda: create(cadre, county["va"], worker_data(name="")), "name", "姓名不能为空")
    refused(lambda: create(cadre, county["va"], worker_data(position="captain")), "position", "请选择岗位")
    refused(lambda: create(cadre, county["va"], worker_data(grid="34062110020200101")), "grid", "不存在或不属于蔡桥村")
    refused(lambda: create(cadre, county["va"], worker_data(username="cadre_b")), "username", "未绑定到")
    refused(lambda: create(cadre, county["va"], worker_data(is_party_member="也许")), "is_party_member", "只能填")
    services.create_worker(cadre, county["va"], worker_data())
    refused(lambda: create(cadre, county["va"], worker_data(name="另一人")), "grid", "已有村组网格员蔡德明")
    with pytest.raises(PermissionDenied):
        create(personas["grid_worker"], county["va"], worker_data(grid="34062110020100201"))


def test_village_level_workers_pair_group_grids_one_each_R_GRID_03(county, personas):
    cadre = personas["cadre_a"]
    secretary = services.create_worker(cadre, county["va"], {
        "name": "蔡永胜", "phone": "13805610002", "position": "village_worker", "title": "村党总支书记",
        "paired_grids": [county["grid_a1"].code, county["grid_a2"].code]})
    assert sorted(secretary.pairings.values_list("grid__name", flat=True)) == ["第一村民小组第一网格", "第二村民小组第一网格"]
    refused(lambda: services.create_worker(cadre, county["va"], {
        "name": "李静", "phone": "13805610003", "position": "village_worker", "title": "驻村工作队队员",
        "paired_grids": [county["grid_a2"].code]}), "paired_grids", "已由蔡永胜包保")
    refused(lambda: services.create_worker(cadre, county["va"], worker_data(paired_grids=[county["grid_a2"].code])),
            "paired_grids", "只有村级网格员可以包保网格")
    services.update_worker(cadre, secretary, {"paired_grids": [county["grid_a1"].code]})
    assert list(secretary.pairings.values_list("grid__code", flat=True)) == [county["grid_a1"].code]
    assert Event.objects.filter(action="grid_worker.update").count() == 1


def test_a_worker_leaving_releases_grid_pairings_and_login_R_GRID_03(county, personas):
    cadre = personas["cadre_a"]
    worker = services.create_worker(cadre, county["va"], worker_data(username="grid_a1"))
    refused(lambda: services.remove_worker(cadre, worker, ""), "reason", "离岗原因不能为空")
    services.remove_worker(cadre, worker, "外出务工")
    worker.refresh_from_db()
    assert not worker.active and worker.grid is None and worker.user is None and worker.division_code == county["va"].code
    # The grid can take a new worker now.
    services.create_worker(cadre, county["va"], worker_data(name="蔡小磊", phone="13955610009"))


# --- profile variants and working groups (R-GRID-01, R-GRID-05) ----------------------------------------


def test_fengdu_grid_heads_and_monitors_are_profile_data_R_GRID_05(db):
    fengdu = division("500230", "丰都县", Level.COUNTY, profile_key="fengdu")
    town = division("500230100", "三合街道", Level.TOWNSHIP, fengdu)
    village = division("500230100201", "双路村", Level.VILLAGE, town)
    group = division("500230100201001", "第一村民小组", Level.GROUP, village)
    grid = division("50023010020100101", "第一村民小组第一网格", Level.GRID, group)
    rules = structure_for("500230")
    assert [(p.name, p.level) for p in rules.positions] == [("网格监测员", "grid"), ("分网格长", "village"), ("总网格长", "township")]
    assert (rules.households_min, rules.households_max) == (30, 50)  # one monitor per 30–50 households
    assert (rules.monitor_households_min, rules.monitor_households_max, rules.visit_interval_days) == (30, 50, 15)
    assert (rules.report_to_village_days, rules.village_judgement_days, rules.township_decision_days) == (0, 1, 0)
    officer = user("fengdu_county", Role.COUNTY_OFFICE, fengdu)
    head = services.create_worker(officer, town, {"name": "秦大勇", "phone": "13983610001", "position": "general_head",
                                                  "title": "街道分管负责人"})
    sub = services.create_worker(officer, village, {"name": "向红梅", "phone": "13983610002", "position": "sub_head",
                                                    "title": "村党支部书记", "paired_grids": [grid.code]})
    monitor = services.create_worker(officer, village, {"name": "谭国强", "phone": "13983610003", "position": "monitor",
                                                        "grid": grid.code})
    assert (head.division_code, sub.division_code, monitor.division_code) == (town.code, village.code, grid.code)
    refused(lambda: services.create_worker(officer, village, {"name": "秦二", "phone": "13983610004",
                                                              "position": "general_head"}), "position", "总网格长应登记在乡镇")
    # The 004 counties name the default positions.
    assert [p.name for p in structure_for("340621").positions] == ["村组网格员", "村级网格员"]


def test_working_groups_and_member_units_come_from_the_profile_R_GRID_01(county, personas):
    officer = personas["county_officer"]
    created = services.setup_working_groups(officer, county["county"])
    assert [g.name for g in created] == ["防止返贫动态监测政策落实工作组", "防止返贫动态监测数据处理工作组"]
    policy = created[0]
    assert policy.members.count() == 16 and policy.members.first().unit_name == "教育局"
    assert services.setup_working_groups(officer, county["county"]) == []  # idempotent
    township = services.setup_working_groups(personas["township_officer"], county["t1"])
    assert [g.name for g in township] == ["防止返贫动态监测研判处置工作组"]
    with pytest.raises(PermissionDenied):
        services.setup_working_groups(personas["township_officer"], county["t2"])
    members = list(policy.members.order_by("position")[:3])
    good = {members[0].pk: {"leader": "张明", "liaison": "李华", "contact_phone": "0561-6011111"}}
    bad = {**good, members[2].pk: {"leader": "王强", "contact_phone": "12"}}
    message = refused(lambda: services.update_working_group(officer, policy, leader="周振华", note="", members=bad),
                      f"members.{members[2].pk}.contact_phone", "第3行（医保局）联系电话格式不正确")
    assert message
    services.update_working_group(officer, policy, leader="周振华", note="每月会商", members=good)
    assert WorkingGroup.objects.get(pk=policy.pk).leader == "周振华"
    assert WorkingGroupMember.objects.get(pk=members[0].pk).liaison == "李华"
    assert Event.objects.filter(action="working_group.update").count() == 1


def test_the_jinan_profile_lists_004_annex_3_and_4_units_R_GRID_01(db):
    rules = structure_for("341502")
    groups = {g.code: g for g in rules.working_groups}
    assert groups["county_policy"].units[0] == "区教育局" and len(groups["county_policy"].units) == 16
    assert groups["county_data"].units[8] == "区公安分局" and len(groups["county_data"].units) == 15
    assert groups["township_research"].level == "township"
