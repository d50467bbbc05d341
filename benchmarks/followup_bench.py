"""Follow-up benchmark (issue #12 "Performance"): the county's monthly visit schedule and the overdue lists.

    python benchmarks/followup_bench.py                      # SQLite, 300 000 households
    python benchmarks/followup_bench.py --households 5000 --requests 30
    python benchmarks/followup_bench.py --measure-only       # the database the environment points at

(a) builds a throwaway county the way ``benchmarks/run.py`` does (migrate, profiles, calendar, ``build_demo``,
whose assistance step names a contact for every monitored household, 2–3 % of the county); (b) in a child
process with ``DJANGO_DEBUG=0``:

- ``schedule.generate`` for the whole county and this month (``--runs`` times: this month's rows the demo
  made are removed first, so the first run creates them all, the next ones are the idempotent daily run),
  seconds and statements;
- the two months before generated too and ``--tickets`` open problem tickets past their deadline added,
  so that a few thousand items are overdue at every escalation level;
- the overdue lists through the functions the page and the API use (``overdue.overdue_page`` and
  ``views_schedule.decorate_items``) for the contact with the most households, for the township with the
  most overdue items and for the county office, ``--requests`` times after 3 warm-ups, p50 / p95 / max ms;
- the township's schedule page data (``views_schedule.schedule_page`` + ``schedule.summary_for``);
- ``bench_dispatch_material``: the township's monthly dispatch material, when
  ``fangpin.followup.analysis.dispatch_material`` exists (printed "skipped" otherwise).

Targets (printed beside the figures, not asserted): the county's schedule ≤ 10 s; overdue lists p95
≤ 100 ms; dispatch material ≤ 3 s. Results are also written as JSON to ``benchmarks/out/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
TARGET_GENERATE_S = 10.0
TARGET_P95_MS = 100.0
TARGET_DISPATCH_S = 3.0

_spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
bench_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_run)

BENCH_TOWNSHIP = "bench_followup_township"


def _stats(values: list[float]) -> dict:
    return {"p50_ms": round(statistics.median(values), 1), "p95_ms": round(bench_run._percentile(values, 0.95), 1),
            "max_ms": round(max(values), 1), "n": len(values)}


def _statements(fn):
    from django.db import connection

    seen: list[str] = []

    def count(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        result = fn()
    return result, len(seen)


def _months_back(month: dt.date, n: int) -> dt.date:
    for _ in range(n):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return month


def _timed(fn, requests: int) -> tuple[dict, int]:
    for _ in range(3):
        fn()
    _, sql = _statements(fn)
    times = []
    for _ in range(requests):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return {**_stats(times), "sql": sql}, sql


def overdue_items(county_code: str, today: dt.date, tickets: int, seed: int) -> dict:
    """The two months before this one generated (never visited: overdue, escalated at different levels)
    and ``tickets`` open tickets past their deadline for random monitored households."""
    from fangpin.assistance.models import ContactAssignment
    from fangpin.followup import schedule
    from fangpin.followup.models import Ticket, TicketStatus
    from fangpin.registry.models import Household

    month = today.replace(day=1)
    made = {}
    for n in (1, 2):
        earlier = _months_back(month, n)
        made[f"{earlier:%Y-%m}"] = schedule.generate(county_code, earlier, today=today)
    rng = random.Random(seed)
    monitored = list(Household.objects.filter(division_code__startswith=county_code, monitoring_status="monitored")
                     .values_list("id", "division_code"))
    taken = set(Ticket.objects.filter(status=TicketStatus.OPEN, dimension="housing").values_list("household_id", flat=True))
    candidates = [h for h in monitored if h[0] not in taken]
    chosen = rng.sample(candidates, min(tickets, len(candidates)))
    contacts = dict(ContactAssignment.objects.filter(ended_on__isnull=True, household_id__in=[h for h, _ in chosen])
                    .values_list("household_id", "contact_id"))
    rows = []
    for hid, code in chosen:
        opened = today - dt.timedelta(days=rng.randint(20, 60))
        rows.append(Ticket(household_id=hid, division_code=code, dimension="housing", description="住房安全待鉴定（基准测试）",
                           source="import", opened_on=opened, due_on=opened + dt.timedelta(days=15),
                           responsible_code=code[:12], responsible_id=contacts.get(hid),
                           responsible_name="基准测试"))
    Ticket.objects.bulk_create(rows, batch_size=2000)
    made["tickets"] = len(rows)
    return made


def bench_dispatch_material(user, township, today: dt.date, runs: int) -> dict:
    """PLACEHOLDER for the analysis part: times ``fangpin.followup.analysis.dispatch_material(user, township,
    today)`` (a township's monthly dispatch material for all its unresolved households, target ≤ 3 s) once
    that function exists; prints "skipped" until then."""
    from fangpin.followup import analysis

    fn = getattr(analysis, "dispatch_material", None)
    if fn is None:
        print("  乡镇月度调度材料：skipped（fangpin.followup.analysis.dispatch_material 尚未实现）", flush=True)
        return {"skipped": "dispatch_material not implemented"}
    seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(user, township, today)
        seconds.append(round(time.perf_counter() - t0, 2))
    print(f"  乡镇月度调度材料（{township.name}）：{seconds} 秒（目标 ≤ {TARGET_DISPATCH_S:.0f} 秒）", flush=True)
    return {"seconds": seconds}


def measure(requests: int, runs: int, tickets: int, seed: int) -> dict:
    bench_run._setup_django()
    from django.db import connection
    from django.db.models import Count

    from fangpin.accounts.models import User
    from fangpin.areas.models import Division
    from fangpin.assistance.models import ContactAssignment
    from fangpin.followup import overdue, schedule
    from fangpin.followup.models import VisitSchedule
    from fangpin.followup.views_schedule import decorate_items, schedule_filters, schedule_page
    from fangpin.profiles.services import today as local_today
    from fangpin.registry.models import Household

    county_user = User.objects.select_related("division").get(username="county")
    county = county_user.division
    today = local_today()
    households = Household.objects.filter(division_code__startswith=county.code).count()
    monitored = Household.objects.filter(division_code__startswith=county.code, monitoring_status="monitored").count()
    with_contact = ContactAssignment.objects.filter(ended_on__isnull=True).count()
    print(f"  {households} 户，监测对象 {monitored} 户，有帮扶联系人 {with_contact} 户", flush=True)

    # The demo's follow-up step may have made this month's rows already: remove them, so that the first
    # run creates the county's month from nothing and the next ones are the nightly re-run.
    removed, _ = VisitSchedule.objects.filter(division_code__startswith=county.code, month=today.replace(day=1)).delete()
    print(f"  删除演示数据中本月已有的访视计划 {removed} 条", flush=True)
    generated = []
    for i in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        counts, sql = _statements(lambda: schedule.generate(county.code, today, today=today))
        generated.append({"seconds": round(time.perf_counter() - t0, 2), "cpu": round(time.process_time() - c0, 2),
                          "sql": sql, **counts})
        print(f"  全县本月访视计划（第{i + 1}次）：{generated[-1]['seconds']} 秒，SQL {sql} 条，新增 {counts['created']}，"
              f"更新 {counts['updated']}，移除 {counts['removed']}，共 {counts['total']} 条（目标 ≤ {TARGET_GENERATE_S:.0f} 秒）",
              flush=True)
    made = overdue_items(county.code, today, tickets, seed)
    print(f"  逾期数据：{made}", flush=True)

    contact_id = (ContactAssignment.objects.filter(ended_on__isnull=True).values("contact_id")
                  .annotate(n=Count("id")).order_by("-n").first()["contact_id"])
    contact = User.objects.select_related("division").get(pk=contact_id)
    by_township = (VisitSchedule.objects.filter(done_on__isnull=True, due_on__lt=today)
                   .extra(select={"t": "substr(division_code, 1, 9)"}).values("t").annotate(n=Count("id")).order_by("-n"))
    township = Division.objects.get(code=by_township.first()["t"])
    User.objects.filter(username=BENCH_TOWNSHIP).delete()
    township_user = User.objects.create(username=BENCH_TOWNSHIP, role="township_staff", division=township,
                                        display_name="基准测试")
    results = []
    try:
        for label, user, show_all in (("帮扶联系人（户数最多）", contact, False), (f"乡镇（{township.name}）", township_user, False),
                                      ("县级（默认：已升级至县级）", county_user, False), ("县级（全部）", county_user, True)):
            def overdue_list(user=user, show_all=show_all):
                data = overdue.overdue_page(user, today, show_all=show_all, size=30)
                decorate_items(user, data["items"])
                return data

            data = overdue_list()
            row, _ = _timed(overdue_list, requests)
            # The target names a contact's and a township's list; the county office's is reported.
            row.update({"list": "逾期事项", "user": label, "total": data["total"], "target": user is not county_user})
            results.append(row)
            print(f"  逾期事项 {label}：{data['total']} 项，p50 {row['p50_ms']}  p95 {row['p95_ms']}  max {row['max_ms']} ms，"
                  f"SQL {row['sql']} 条", flush=True)
        for label, user in (("帮扶联系人（户数最多）", contact), (f"乡镇（{township.name}）", township_user)):
            def schedule_list(user=user):
                filters = schedule_filters(user, {}, today)
                data = schedule_page(user, filters, today, 1, 30)
                if user.role != "assistance_contact":
                    schedule.summary_for(schedule.schedules_for(user, filters["month"], today=today), today)
                return data

            data = schedule_list()
            row, _ = _timed(schedule_list, requests)
            row.update({"list": "月访视计划", "user": label, "total": data["total"]})
            results.append(row)
            print(f"  月访视计划 {label}：{data['total']} 条，p50 {row['p50_ms']}  p95 {row['p95_ms']}  max {row['max_ms']} ms，"
                  f"SQL {row['sql']} 条", flush=True)
        dispatch = bench_dispatch_material(township_user, township, today, max(1, min(runs, 3)))
    finally:
        User.objects.filter(username=BENCH_TOWNSHIP).delete()
    return {"vendor": connection.vendor, "households": households, "monitored": monitored,
            "with_contact": with_contact, "generate": generated, "overdue_data": made, "results": results,
            "dispatch_material": dispatch}


def main(argv=None):
    parser = argparse.ArgumentParser(description="月访视计划生成与逾期事项列表基准测试")
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--profile", default="suixi")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="全县生成的次数（第一次新建，其后为每日重跑）")
    parser.add_argument("--tickets", type=int, default=3000, help="加入的逾期问题台账数")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--child-measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_measure:
        data = measure(args.requests, args.runs, args.tickets, args.seed)
        Path(args.json).write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        return 0
    env, generation = bench_run.county_env(args, "sqlite-followup", "含帮扶联系人与走访演示数据")
    out = OUT / f"followup-{os.getpid()}.json"
    try:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child-measure", "--requests",
                        str(args.requests), "--runs", str(args.runs), "--tickets", str(args.tickets), "--seed",
                        str(args.seed), "--json", str(out)], env=env, cwd=ROOT, check=True)
        data = json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)
        bench_run.drop_county(args, "sqlite-followup")
    data["generation"] = generation
    data["load_average_after"] = bench_run._load()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"followup-{stamp}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    worst = max(g["seconds"] for g in data["generate"])
    slow = [r for r in data["results"] if r.get("target", True) and r["p95_ms"] > TARGET_P95_MS]
    dispatch = data["dispatch_material"]
    dispatch_slow = bool(dispatch.get("seconds")) and max(dispatch["seconds"]) > TARGET_DISPATCH_S
    print(f"\n{data['vendor']}：{data['households']} 户，监测对象 {data['monitored']} 户；全县访视计划最慢 {worst} 秒"
          f"（目标 ≤ {TARGET_GENERATE_S:.0f} 秒）{'✓' if worst <= TARGET_GENERATE_S else '✗'}；列表 p95 目标 ≤ "
          f"{TARGET_P95_MS:.0f} ms：{'全部达标' if not slow else f'{len(slow)} 项未达标'}；调度材料："
          f"{dispatch.get('seconds') or dispatch.get('skipped')}；测后负载 {data['load_average_after']}")
    return 1 if slow or worst > TARGET_GENERATE_S or dispatch_slow else 0


if __name__ == "__main__":
    sys.exit(main())
