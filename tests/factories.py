"""Small, realistic test county: 濉溪县 with two real townships and synthetic villages."""

from __future__ import annotations

import datetime as dt
import itertools

from fangpin.accounts.models import User
from fangpin.areas.models import Division, Level
from fangpin.policy.idnumbers import make_id_number
from fangpin.registry.models import Household, Member

_seq = itertools.count(1)


def division(code, name, level, parent=None, **kw):
    return Division.objects.create(code=code, name=name, level=level, parent=parent, **kw)


def build_county():
    county = division("340621", "濉溪县", Level.COUNTY, profile_key="suixi")
    t1 = division("340621100", "濉溪镇", Level.TOWNSHIP, county)
    t2 = division("340621102", "韩村镇", Level.TOWNSHIP, county)
    va = division("340621100201", "蔡桥村", Level.VILLAGE, t1)
    vb = division("340621100202", "任集村", Level.VILLAGE, t1)
    vc = division("340621102201", "马桥村", Level.VILLAGE, t2)
    ga1 = division("340621100201001", "第一村民小组", Level.GROUP, va)
    ga2 = division("340621100201002", "第二村民小组", Level.GROUP, va)
    gb1 = division("340621100202001", "第一村民小组", Level.GROUP, vb)
    gc1 = division("340621102201001", "第一村民小组", Level.GROUP, vc)
    grid_a1 = division("34062110020100101", "第一村民小组第一网格", Level.GRID, ga1)
    grid_a2 = division("34062110020100201", "第二村民小组第一网格", Level.GRID, ga2)
    grid_b1 = division("34062110020200101", "第一村民小组第一网格", Level.GRID, gb1)
    grid_c1 = division("34062110220100101", "第一村民小组第一网格", Level.GRID, gc1)
    return {
        "county": county, "t1": t1, "t2": t2, "va": va, "vb": vb, "vc": vc,
        "ga1": ga1, "ga2": ga2, "gb1": gb1, "gc1": gc1,
        "grid_a1": grid_a1, "grid_a2": grid_a2, "grid_b1": grid_b1, "grid_c1": grid_c1,
    }


def id_number(birth=dt.date(1975, 6, 1), male=True):
    return make_id_number("340621", birth, next(_seq), male)


def household(grid, number, head_name, *, category="ordinary", members=(), status="none", phone="13955612345"):
    group = grid.parent
    village = group.parent
    h = Household.objects.create(
        number=number, village=village, group=group, grid=grid, division_code=grid.code,
        category=category, monitoring_status=status, phone=phone,
    )
    Member.objects.create(
        household=h, id_number=id_number(dt.date(1970, 3, 5), True), name=head_name, sex="男",
        birth_date=dt.date(1970, 3, 5), relation="户主", relation_order=0, labour="普通劳动力",
        ethnicity="汉族", education="初中", health="健康", phone="13855612345",
    )
    for name, relation, birth, male in members:
        Member.objects.create(
            household=h, id_number=id_number(birth, male), name=name, sex="男" if male else "女", birth_date=birth,
            relation=relation, relation_order=1, labour="普通劳动力", ethnicity="汉族", health="健康",
        )
    return h


def user(username, role, div, **kw):
    u = User.objects.create_user(username=username, password="demo-pass-2026", role=role, division=div,
                                 display_name=kw.pop("display_name", username), **kw)
    return u
