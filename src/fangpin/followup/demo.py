"""Demo visits, a sweep in progress and department screenings for the demo county (build_demo step).

Written set-based: the households are read once, the rows generated in memory from a seeded random
generator and bulk-inserted; then the county's must-visit lists are computed. About half of the
households were visited in the last four months (so, with a half-month interval, many are overdue),
the county's yearly sweep is under way with coverage falling from the first township to the last, and
most departments have reported this quarter's screening.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from fangpin.accounts.models import User
from fangpin.accounts.roles import Role
from fangpin.areas.lookups import prefix_q
from fangpin.policy.mustvisit import quarter_of, screening_departments
from fangpin.profiles.services import profile_for_county
from fangpin.registry.models import Household

from .models import DepartmentScreening, Sweep, Visit, VisitMode, VisitPurpose

VISITED_SHARE = 0.5
RISK_SHARE = 0.03
SWEEP_COVERAGE = [0.97, 0.88, 0.74, 0.6, 0.45, 0.3, 0.2, 0.12]  # by township, first to last
VISITOR_NAMES = ["王建军", "李秀梅", "张志刚", "刘桂芳", "陈永华", "杨玉兰", "赵国强", "黄淑珍", "周海涛", "吴春燕",
                 "徐立新", "孙红霞", "马德胜", "朱丽娟", "胡卫东", "郭晓燕"]
RISKS = [("因病", "户主近期住院，医疗支出较大，已告知大病救助政策"),
         ("因意外事故", "家中主要劳动力务工时受伤，暂时无法务工"),
         ("因自然灾害", "强降雨致房屋部分受损，农作物减产"),
         ("因务工就业不稳", "外出务工人员返乡，暂无稳定工作"),
         ("因产业项目失败", "养殖项目亏损，生产经营性支出超过收入")]
QUIET = ["家中情况稳定，生产生活正常", "了解收入和就业情况，无新增困难", "宣传防返贫监测政策，农户无诉求",
         "电话联系户主，家中一切正常", "核对家庭成员信息，无变化"]


def _mode(rng) -> str:
    x = rng.random()
    return VisitMode.HOME if x < 0.7 else (VisitMode.PHONE if x < 0.95 else VisitMode.OTHER)


def _insert_visits(rows: list[tuple], now) -> None:
    """One prepared INSERT for the demo's visits (the ORM's per-object work costs tens of seconds at
    300 000 households)."""
    import json

    from django.db import connection

    ops = connection.ops
    cols = ["household_id", "division_code", "visited_on", "mode", "purpose", "sweep_id", "visitor_id", "visitor_name",
            "companion_name", "risk_found", "risk_types", "findings", "lead_reference", "recorded_at", "recorded_by_id",
            "remote_reason", "basic_needs", "measures_status"]
    marks = ["%s"] * len(cols)
    if connection.vendor == "postgresql":
        for c in ("risk_types", "basic_needs", "measures_status"):
            marks[cols.index(c)] = "%s::jsonb"
    sql = (f"INSERT INTO {ops.quote_name(Visit._meta.db_table)} ({', '.join(ops.quote_name(c) for c in cols)}) "
           f"VALUES ({', '.join(marks)})")
    at = ops.adapt_datetimefield_value(now)
    values = [(hid, code, ops.adapt_datefield_value(on), mode, purpose, sweep_id, user.pk if user else None, name, "",
               risky, json.dumps(risks, ensure_ascii=False), text, "", at, None, "", "{}", "[]")
              for hid, code, on, mode, purpose, sweep_id, user, name, risky, risks, text in rows]
    with connection.cursor() as cursor:
        for i in range(0, len(values), 10000):
            cursor.executemany(sql, values[i:i + 10000])


def build_followup_demo(county, as_of: dt.date, seed: int) -> None:
    from .mustvisit import compute_county

    rng = random.Random(seed * 7 + 10)
    grid_user = User.objects.filter(username="grid", role=Role.GRID_WORKER).first()
    grid_code = grid_user.division.code if grid_user and grid_user.division else None
    rows = list(Household.objects.filter(prefix_q("division_code", county.code)).order_by("id")
                .values_list("id", "division_code"))
    townships = sorted({code[:9] for _, code in rows})
    township_rank = {t: i for i, t in enumerate(townships)}
    starts_on = as_of - dt.timedelta(days=45)
    sweep = Sweep.objects.create(county=county, division_code=county.code, year=as_of.year,
                                 name=f"{as_of.year}年度防返贫拉网式排查", starts_on=starts_on,
                                 ends_on=as_of + dt.timedelta(days=75))
    now = timezone.now()
    visits = []

    def visitor_of(code: str) -> tuple[User | None, str]:
        if grid_code and code.startswith(grid_code):
            return grid_user, str(grid_user)
        return None, VISITOR_NAMES[int(code[-4:]) % len(VISITOR_NAMES)]

    for hid, code in rows:
        user, name = visitor_of(code)
        if rng.random() < VISITED_SHARE:
            risky = rng.random() < RISK_SHARE
            risk, text = rng.choice(RISKS) if risky else ("", rng.choice(QUIET))
            visits.append((hid, code, as_of - dt.timedelta(days=rng.randint(1, 120)), _mode(rng),
                           rng.choice([VisitPurpose.ROUTINE, VisitPurpose.MUST_VISIT]), None, user, name, risky,
                           [risk] if risky else [], text))
        share = SWEEP_COVERAGE[min(township_rank[code[:9]], len(SWEEP_COVERAGE) - 1)]
        if grid_code and code.startswith(grid_code):
            share = 0.7  # the demo grid worker still has households to sweep
        if rng.random() < share:
            risky = rng.random() < RISK_SHARE
            risk, text = rng.choice(RISKS) if risky else ("", rng.choice(QUIET))
            visits.append((hid, code, starts_on + dt.timedelta(days=rng.randint(0, 44)), VisitMode.HOME,
                           VisitPurpose.SWEEP, sweep.pk, user, name, risky, [risk] if risky else [], text))
    _insert_visits(visits, now)

    officers = {u.department: u for u in User.objects.filter(role=Role.DEPARTMENT_OFFICER).exclude(department="")}
    departments = screening_departments(profile_for_county(county.code).data)
    year, quarter = as_of.year, quarter_of(as_of.month)
    prev = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    screenings = []
    for i, department in enumerate(departments):
        for (y, q), reported in ((prev, i != len(departments) - 1), ((year, quarter), i % 3 != 2)):
            if not reported:
                continue
            households = len(rows) if department in ("民政局", "医保局") else rng.randint(len(rows) // 20, len(rows) // 4)
            screenings.append(DepartmentScreening(
                county=county, division_code=county.code, department=department, year=y, quarter=q,
                scope=f"全县{department.rstrip('局委')}领域政策落实情况", households_screened=max(households, 1),
                findings_count=rng.randint(0, max(1, households // 400)), submitted_by=officers.get(department),
                note="排查结果已反馈各乡镇核实"))
    DepartmentScreening.objects.bulk_create(screenings)
    compute_county(county.code, as_of)
