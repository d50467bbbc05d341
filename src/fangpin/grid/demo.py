"""The demo county's grid people (R-GRID-01, R-GRID-03, R-GRID-05): a worker in every group grid, the
village-level workers pairing the grids, each township's grid head and working group, and the county's
working groups with their member units. Set-based (a few bulk inserts), seeded, names and mobile numbers
that look real; the demo grid worker account is the worker of its grid.

Run by ``registry.demo.build_demo`` through ``DEMO_STEPS`` (registered in ``GridConfig.ready``).
"""

from __future__ import annotations

import random

from fangpin.accounts.models import User
from fangpin.accounts.roles import Role
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import Division, GridPairing, GridWorker, Level, WorkingGroup, WorkingGroupMember

from .structure import structure_for

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
            "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("建国 建华 国强 志刚 志强 永红 桂兰 秀英 秀兰 玉兰 春梅 海燕 小红 德明 德华 德胜 文华 文斌 明亮 红梅 "
         "卫东 卫国 振华 立新 立军 成林 家宝 长春 长青 爱华 爱民 光明 金花 凤英 翠花 淑珍 丽娟 俊杰 宏伟 晓东 "
         "学军 学文 兴旺 庆丰 保国 树林 传芳 守成 广才 正清").split()
MOBILE_PREFIXES = ("133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157", "158", "159",
                   "177", "180", "181", "182", "183", "187", "188", "189", "199")
OTHER_DUTIES = ("党员代表", "村民代表", "乡贤", "创业致富带头人", "包组干部")
VILLAGE_TITLES = ("村党总支书记", "村委会主任", "村党总支副书记", "村委会委员", "驻村工作队队员", "包片干部", "联村干部")
BATCH = 2000


class People:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"


def build_grid_demo(county: Division, as_of=None, seed: int = 0) -> dict:
    """Create the grid people of a freshly built demo county (its divisions exist, no worker yet)."""
    rules = structure_for(county.code)
    rng = random.Random(f"{seed}|{county.code}|grid")
    people = People(rng)
    grid_pos = rules.grid_position
    village_pos = rules.village_position
    township_positions = rules.at("township")
    divisions = list(Division.objects.filter(prefix_q("code", county.code), active=True,
                                             level__in=[Level.TOWNSHIP, Level.VILLAGE, Level.GRID])
                     .order_by("code").values_list("id", "code", "level"))
    villages = {code: pk for pk, code, level in divisions if level == Level.VILLAGE}
    grids_of: dict[str, list[tuple[int, str]]] = {}
    for pk, code, level in divisions:
        if level == Level.GRID:
            grids_of.setdefault(code[:12], []).append((pk, code))

    workers: list[GridWorker] = []
    pair_plan: list[tuple[int, list[tuple[int, str]]]] = []  # index into workers -> grids
    for village_code, grids in grids_of.items():
        unit_id = villages[village_code]
        previous_group = None
        for grid_id, grid_code in grids:
            first_of_group = grid_code[:15] != previous_group
            previous_group = grid_code[:15]
            leader = first_of_group and rng.random() < 0.9
            workers.append(GridWorker(
                name=people.name(), phone=people.mobile(), position=grid_pos.code, unit_id=unit_id, grid_id=grid_id,
                division_code=grid_code, is_group_leader=leader, is_party_member=rng.random() < 0.45,
                other_duty="" if leader else rng.choice(OTHER_DUTIES),
            ))
        if village_pos is not None:
            n = max(2, min(len(VILLAGE_TITLES), -(-len(grids) // 6)))
            titles = list(VILLAGE_TITLES[:2]) + rng.sample(VILLAGE_TITLES[2:], n - 2)
            share = -(-len(grids) // n)
            for i, title in enumerate(titles):
                workers.append(GridWorker(name=people.name(), phone=people.mobile(), position=village_pos.code,
                                          unit_id=unit_id, division_code=village_code, title=title,
                                          is_party_member=i < 3 or rng.random() < 0.5))
                pair_plan.append((len(workers) - 1, grids[i * share : (i + 1) * share]))
        # A few villages have a newly recruited worker not yet given a grid (the report lists them).
        if rng.random() < 0.08:
            workers.append(GridWorker(name=people.name(), phone=people.mobile(), position=grid_pos.code,
                                      unit_id=unit_id, division_code=village_code, is_party_member=rng.random() < 0.3,
                                      other_duty="村民代表", note="新选配，待分配网格"))
    townships = [(pk, code) for pk, code, level in divisions if level == Level.TOWNSHIP]
    for pk, code in townships:
        for position in township_positions:
            workers.append(GridWorker(name=people.name(), phone=people.mobile(), position=position.code, unit_id=pk,
                                      division_code=code, title="乡镇（街道）分管负责人", is_party_member=True))
    GridWorker.objects.bulk_create(workers, batch_size=BATCH)
    pairings = [GridPairing(worker_id=workers[i].pk, grid_id=grid_id, division_code=grid_code)
                for i, grids in pair_plan for grid_id, grid_code in grids]
    GridPairing.objects.bulk_create(pairings, batch_size=BATCH)

    groups: list[WorkingGroup] = []
    units: list[tuple[int, list[str]]] = []
    for template in rules.working_groups:
        places = townships if template.level == "township" else [(county.pk, county.code)]
        for pk, code in places:
            groups.append(WorkingGroup(division_id=pk, division_code=code, kind=template.code, name=template.name,
                                       leader=people.name() + "（" + template.leader + "）" if template.leader else ""))
            units.append((len(groups) - 1, list(template.units)))
    WorkingGroup.objects.bulk_create(groups, batch_size=BATCH)
    members = [WorkingGroupMember(group_id=groups[i].pk, position=n, unit_name=unit, leader=people.name(),
                                  liaison=people.name(), contact_phone=people.mobile())
               for i, names in units for n, unit in enumerate(names, start=1)]
    WorkingGroupMember.objects.bulk_create(members, batch_size=BATCH)

    # The demo grid worker account is the worker of the grid it is bound to.
    account = User.objects.filter(username="grid", role=Role.GRID_WORKER, division__code__startswith=county.code).first()
    if account is not None and account.division_id is not None:
        # The demo logins follow the newest demo county: a worker of an earlier one lets the account go.
        GridWorker.objects.filter(user=account).exclude(grid_id=account.division_id).update(user=None)
        GridWorker.objects.filter(grid_id=account.division_id, position=grid_pos.code).update(
            user=account, name=account.display_name or account.username)
    return {"workers": len(workers), "pairings": len(pairings), "working_groups": len(groups), "members": len(members)}
