"""Must-visit benchmark (R-DISC-05): the whole county's computation and the list's server time.

    python benchmarks/mustvisit_bench.py                      # SQLite, 300 000 households
    python benchmarks/mustvisit_bench.py --households 60000 --requests 50
    python benchmarks/mustvisit_bench.py --measure-only       # the database the environment points at

(a) builds a throwaway county the way ``benchmarks/run.py`` does (migrate, profiles, calendar,
``build_demo``, whose follow-up step writes demo visits, a sweep and screenings and computes the lists
once); (b) in a child process with ``DJANGO_DEBUG=0``: times ``compute_county`` for the whole county
(``--runs`` times), then requests the must-visit page ``/visits/`` and the API ``/api/must-visits``
(all entries, and overdue only) with Django's test client as a grid worker, a village cadre and a
township user, reporting server time p50 / p95 / max and the SQL statements of one request.
Targets: county computation ≤ 10 s; p95 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
TARGET_P95_MS = 100.0
TARGET_COMPUTE_S = 10.0

_spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
bench_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_run)

USERS = [("bench_grid", "grid_worker", "网格员", 17), ("bench_village", "village_cadre", "村干部", 12),
         ("bench_township", "township_staff", "乡镇用户", 9)]
ENDPOINTS = [("page", "页面", "/visits/"), ("page_overdue", "页面（只看逾期）", "/visits/?overdue=1"),
             ("api", "API", "/api/must-visits"), ("api_overdue", "API（只看逾期）", "/api/must-visits?overdue=true")]


def measure(requests: int, runs: int) -> dict:
    bench_run._setup_django()
    from django.db import connection
    from django.db.models import Count
    from django.db.models.functions import Substr
    from django.test import Client

    from fangpin.accounts.models import User
    from fangpin.areas.models import Division
    from fangpin.followup.models import MustVisitEntry, Visit
    from fangpin.followup.mustvisit import compute_county
    from fangpin.registry.models import Household

    county = User.objects.select_related("division").get(username="county").division
    households = Household.objects.filter(division_code__startswith=county.code).count()
    visits = Visit.objects.count()
    computes, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = compute_county(county.code)
        computes.append(round(time.perf_counter() - t0, 2))
        cpu.append(round(time.process_time() - c0, 2))  # SQLite runs in-process: its work counts here too
        written = result.run.counts.get("written", 0) if result.run else 0
        print(f"  全县必访名单计算：{computes[-1]:.2f} 秒（CPU {cpu[-1]:.2f} 秒），{result.households} 户，写入 {written} 户，"
              f"负载 {bench_run._load()}", flush=True)
    # The busiest grid, a village of the last township and the last township: worst cases for the lists.
    busiest = (MustVisitEntry.objects.annotate(g=Substr("division_code", 1, 17)).values("g")
               .annotate(n=Count("id")).order_by("-n").first()["g"])
    last_township = Division.objects.filter(code__startswith=county.code, level=2).order_by("-code").first()
    village = (MustVisitEntry.objects.filter(division_code__startswith=last_township.code)
               .annotate(v=Substr("division_code", 1, 12)).values("v").annotate(n=Count("id")).order_by("-n").first()["v"])
    places = {17: busiest, 12: village, 9: last_township.code}
    results = []
    try:
        for username, role, label, level in USERS:
            User.objects.filter(username=username).delete()
            user = User.objects.create(username=username, role=role, division=Division.objects.get(code=places[level]),
                                       display_name="基准测试")
            client = Client()
            client.force_login(user)
            scope_entries = MustVisitEntry.objects.filter(division_code__startswith=places[level]).count()
            for _key, ep_label, url in ENDPOINTS:
                for _ in range(5):
                    client.get(url)
                statements: list[str] = []

                def count(execute, sql, params, many, context, seen=statements):
                    seen.append(sql)
                    return execute(sql, params, many, context)

                with connection.execute_wrapper(count):
                    first = client.get(url)
                assert first.status_code == 200, (url, first.status_code)
                times = []
                for _ in range(requests):
                    t0 = time.perf_counter()
                    r = client.get(url)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200
                row = {"user": label, "division": user.division.name, "entries": scope_entries, "endpoint": ep_label,
                       "p50_ms": round(statistics.median(times), 1),
                       "p95_ms": round(bench_run._percentile(times, 0.95), 1), "max_ms": round(max(times), 1),
                       "sql": len(statements)}
                results.append(row)
                print(f"  {label}（{user.division.name}，{scope_entries}户在名单）{ep_label}：p50 {row['p50_ms']}  "
                      f"p95 {row['p95_ms']}  max {row['max_ms']} ms，SQL {row['sql']} 条", flush=True)
    finally:
        User.objects.filter(username__in=[u[0] for u in USERS]).delete()
    return {"vendor": connection.vendor, "households": households, "visits": visits,
            "entries": MustVisitEntry.objects.count(), "compute_seconds": computes, "compute_cpu_seconds": cpu,
            "results": results}


def main(argv=None):
    parser = argparse.ArgumentParser(description="必访名单计算与列表响应时间基准测试")
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--profile", default="suixi")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="全县计算的次数")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--child-measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_measure:
        data = measure(args.requests, args.runs)
        Path(args.json).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    env, generation = bench_run.county_env(args, "sqlite-mustvisit", "含走访演示数据与首次名单计算")
    out = OUT / f"mustvisit-{os.getpid()}.json"
    try:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child-measure", "--requests",
                        str(args.requests), "--runs", str(args.runs), "--json", str(out)], env=env, cwd=ROOT, check=True)
        data = json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)
        bench_run.drop_county(args, "sqlite-mustvisit")
    data["generation"] = generation
    data["load_average_after"] = bench_run._load()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"mustvisit-{stamp}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    worst_compute = max(data["compute_seconds"])
    slow = [r for r in data["results"] if r["p95_ms"] > TARGET_P95_MS]
    print(f"\n{data['vendor']}：{data['households']} 户，走访 {data['visits']} 次，名单 {data['entries']} 户；"
          f"全县计算 {data['compute_seconds']} 秒，CPU {data['compute_cpu_seconds']} 秒（目标 ≤ {TARGET_COMPUTE_S:.0f} 秒）"
          f"{'✓' if worst_compute <= TARGET_COMPUTE_S else '✗'}；p95 目标 ≤ {TARGET_P95_MS:.0f} ms："
          f"{'全部达标' if not slow else f'{len(slow)} 项未达标'}；测后负载 {data['load_average_after']}")
    return 1 if slow or worst_compute > TARGET_COMPUTE_S else 0


if __name__ == "__main__":
    sys.exit(main())
