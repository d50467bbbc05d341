"""Assistance benchmark (issue #11 "Performance"): policy proposals, the village and county assistance
lists, the department view.

    python benchmarks/assistance_bench.py                      # SQLite, 300 000 households
    python benchmarks/assistance_bench.py --households 60000 --requests 100
    python benchmarks/assistance_bench.py --measure-only       # the database the environment points at

(a) builds a throwaway county the way ``benchmarks/run.py`` does (migrate, profiles, calendar,
``build_demo``, whose assistance step writes the catalogue, contacts, plans and measures of the monitored
households and this year's measures of the 脱贫户); (b) in a child process with ``DJANGO_DEBUG=0``:

- ``matching.propose(household, catalogue)`` for ``--proposals`` random monitored households (by id,
  so reading the household, its members and income is part of it), p50 / p95 / max ms;
- ``village_list.export_village`` for the village with the most households on the list (``--runs`` times);
- ``village_list.write_area`` for the whole county into an XLSX file (``--runs`` times);
- the department view ``/assistance/departments/`` and its API ``/api/assistance/department-measures``
  with Django's test client (whole middleware stack) as the demo department officer and as an officer
  of the department with the most measures, ``--requests`` times after 5 warm-ups, p50 / p95 / max ms.

Targets (printed beside the figures, not asserted): proposals ≤ 50 ms, a village's list ≤ 2 s, the
county's ≤ 30 s, department view p95 ≤ 100 ms. Results are also written as JSON to ``benchmarks/out/``.
"""

from __future__ import annotations

import argparse
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
TARGET_PROPOSE_MS = 50.0
TARGET_VILLAGE_S = 2.0
TARGET_COUNTY_S = 30.0
TARGET_P95_MS = 100.0

_spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
bench_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_run)

BENCH_OFFICER = "bench_department"
ENDPOINTS = [("page", "页面", "/assistance/departments/"),
             ("api", "API", "/api/assistance/department-measures")]


def _stats(values: list[float]) -> dict:
    return {"p50": round(statistics.median(values), 1), "p95": round(bench_run._percentile(values, 0.95), 1),
            "max": round(max(values), 1), "n": len(values)}


def _statements(fn) -> tuple[object, int]:
    """Run ``fn`` once, counting its SQL statements."""
    from django.db import connection

    seen: list[str] = []

    def count(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        result = fn()
    return result, len(seen)


def measure_proposals(county_code: str, year: int, n: int, seed: int) -> dict:
    from fangpin.assistance.catalogue import current_catalogue
    from fangpin.assistance.matching import propose
    from fangpin.registry.models import Household, MonitoringStatus

    catalogue = current_catalogue(county_code, year)
    if catalogue is None:
        return {"skipped": f"{year}年没有已发布的县级政策清单"}
    ids = list(Household.objects.filter(division_code__startswith=county_code,
                                        monitoring_status=MonitoringStatus.MONITORED).values_list("pk", flat=True))
    sample = random.Random(seed).sample(ids, min(n, len(ids)))
    for hid in sample[:5]:
        propose(hid, catalogue)
    proposals, sql = _statements(lambda: propose(sample[0], catalogue))
    times, found = [], []
    for hid in sample:
        t0 = time.perf_counter()
        proposals = propose(hid, catalogue)
        times.append((time.perf_counter() - t0) * 1000)
        found.append(sum(1 for p in proposals if p.eligible))
    row = {**_stats(times), "sql": sql, "policies": catalogue.policies.count(), "monitored": len(ids),
           "eligible_avg": round(statistics.mean(found), 1)}
    print(f"  帮扶政策推荐（{len(sample)}户，清单{row['policies']}条）：p50 {row['p50']}  p95 {row['p95']}  "
          f"max {row['max']} ms，SQL {sql} 条，平均完全符合 {row['eligible_avg']} 条", flush=True)
    return row


def measure_village(user, county_code: str, year: int, runs: int) -> dict:
    from django.db.models import Count, Q

    from fangpin.areas.models import Division
    from fangpin.assistance.village_list import export_village, listed_households
    from fangpin.profiles.services import profile_for_county
    from fangpin.registry.models import Household, MonitoringStatus

    profile = profile_for_county(county_code)
    poor = list(profile.param("eligibility.formerly_poor_categories"))
    busiest = (Household.objects.filter(division_code__startswith=county_code)
               .filter(Q(category__in=poor) | ~Q(monitoring_status=MonitoringStatus.NONE))
               .values("village_id").annotate(n=Count("id")).order_by("-n").first())
    village = Division.objects.select_related("parent").get(pk=busiest["village_id"])
    listed = listed_households(village.code, year).count()
    seconds, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        data = export_village(user, village, year)
        seconds.append(round(time.perf_counter() - t0, 3))
        size = len(data)
    row = {"village": f"{village.parent.name}{village.name}", "listed": listed, "seconds": seconds,
           "bytes": size}
    print(f"  村帮扶清单导出（{row['village']}，{listed}户）：{seconds} 秒，{size // 1024} KB", flush=True)
    return row


def measure_county(county, year: int, runs: int) -> dict:
    from fangpin.assistance.village_list import write_area

    path = OUT / f"assistance-county-{os.getpid()}.xlsx"
    seconds, cpu, result, size = [], [], {}, 0
    try:
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            result = write_area(county, year, str(path))
            seconds.append(round(time.perf_counter() - t0, 2))
            cpu.append(round(time.process_time() - c0, 2))
            size = path.stat().st_size
    finally:
        path.unlink(missing_ok=True)
    row = {"seconds": seconds, "cpu_seconds": cpu, "bytes": size, **result}
    print(f"  全县帮扶清单导出（{result.get('villages')}个村，{result.get('households')}户）：{seconds} 秒"
          f"（CPU {cpu} 秒），{size // 1024 // 1024} MB，负载 {bench_run._load()}", flush=True)
    return row


def measure_departments(requests: int) -> list[dict]:
    from django.db.models import Count
    from django.test import Client

    from fangpin.accounts.models import User
    from fangpin.accounts.roles import Role
    from fangpin.assistance.models import Handler, Measure

    county = User.objects.select_related("division").get(username="county").division
    busiest = (Measure.objects.filter(household__division_code__startswith=county.code, handler=Handler.DEPARTMENT)
               .exclude(department="").values("department").annotate(n=Count("id")).order_by("-n").first())
    officers = [u for u in User.objects.filter(username="yibao", role=Role.DEPARTMENT_OFFICER)]
    User.objects.filter(username=BENCH_OFFICER).delete()
    if busiest and not any(u.department == busiest["department"] for u in officers):
        officers.append(User.objects.create(username=BENCH_OFFICER, role=Role.DEPARTMENT_OFFICER, division=county,
                                            department=busiest["department"], display_name="基准测试"))
    results = []
    try:
        for user in officers:
            client = Client()
            client.force_login(user)
            measures = Measure.objects.filter(household__division_code__startswith=county.code,
                                              department=user.department).count()
            for _key, label, url in ENDPOINTS:
                for _ in range(5):
                    client.get(url)
                first, sql = _statements(lambda url=url, client=client: client.get(url))
                if first.status_code != 200:
                    print(f"  {user.department}{label}：HTTP {first.status_code}，跳过", flush=True)
                    continue
                times = []
                for _ in range(requests):
                    t0 = time.perf_counter()
                    r = client.get(url)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200, (url, r.status_code)
                row = {"department": user.department, "measures": measures, "endpoint": label, **_stats(times),
                       "sql": sql}
                results.append(row)
                print(f"  部门视图 {user.department}（{measures}条措施）{label}：p50 {row['p50']}  p95 {row['p95']}  "
                      f"max {row['max']} ms，SQL {sql} 条", flush=True)
    finally:
        User.objects.filter(username=BENCH_OFFICER).delete()
    return results


def measure(args) -> dict:
    bench_run._setup_django()
    from django.db import connection

    from fangpin.accounts.models import User
    from fangpin.assistance.models import ContactAssignment, Measure, Plan, PolicyList
    from fangpin.registry.models import Household, MonitoringStatus

    county_user = User.objects.select_related("division").get(username="county")
    county = county_user.division
    year = (PolicyList.objects.filter(county_code=county.code, kind="catalogue").order_by("-year")
            .values_list("year", flat=True).first())
    if year is None:
        raise SystemExit(f"{county.name}没有县级政策清单：请用含帮扶演示数据的 build_demo 重新生成")
    households = Household.objects.filter(division_code__startswith=county.code)
    data = {
        "vendor": connection.vendor, "year": year, "households": households.count(),
        "monitored": households.filter(monitoring_status=MonitoringStatus.MONITORED).count(),
        "plans": Plan.objects.filter(household__division_code__startswith=county.code).count(),
        "measures": Measure.objects.filter(household__division_code__startswith=county.code).count(),
        "contacts": ContactAssignment.objects.filter(ended_on__isnull=True,
                                                     household__division_code__startswith=county.code).count(),
        "load_average_before": bench_run._load(),
    }
    print(f"  {county.name}：{data['households']}户，监测中{data['monitored']}户，方案{data['plans']}个，"
          f"措施{data['measures']}条，负载 {data['load_average_before']}", flush=True)
    parts = args.parts.split(",")

    def guarded(name, fn):
        try:
            return fn()
        except Exception as exc:  # a part that is missing or failed: the other parts are still measured
            print(f"  {name}：未测（{type(exc).__name__}: {exc}）", flush=True)
            return {"skipped": f"{type(exc).__name__}: {exc}"}

    if "propose" in parts:
        data["propose"] = guarded("帮扶政策推荐", lambda: measure_proposals(county.code, year, args.proposals,
                                                                        args.seed))
    if "village" in parts:
        data["village"] = guarded("村帮扶清单", lambda: measure_village(county_user, county.code, year, args.runs))
    if "county" in parts:
        data["county"] = guarded("全县帮扶清单", lambda: measure_county(county, year, args.runs))
    if "departments" in parts:
        data["departments"] = guarded("部门视图", lambda: measure_departments(args.requests))
    return data


def _summary(data: dict) -> None:
    def mark(ok: bool) -> str:
        return "✓" if ok else "✗"

    lines = [f"\n{data['vendor']}：{data['households']}户，监测中{data['monitored']}户，方案{data['plans']}个，"
             f"措施{data['measures']}条"]
    p = data.get("propose") or {}
    if "p95" in p:
        lines.append(f"  推荐 p95 {p['p95']} ms（目标每户 ≤ {TARGET_PROPOSE_MS:.0f} ms）{mark(p['max'] <= TARGET_PROPOSE_MS)}"
                     f"，max {p['max']} ms")
    v = data.get("village") or {}
    if "seconds" in v:
        lines.append(f"  村清单 {max(v['seconds'])} 秒（目标 ≤ {TARGET_VILLAGE_S:.0f} 秒）"
                     f"{mark(max(v['seconds']) <= TARGET_VILLAGE_S)}")
    c = data.get("county") or {}
    if "seconds" in c:
        lines.append(f"  全县清单 {max(c['seconds'])} 秒（目标 ≤ {TARGET_COUNTY_S:.0f} 秒）"
                     f"{mark(max(c['seconds']) <= TARGET_COUNTY_S)}")
    rows = data.get("departments")
    if isinstance(rows, list) and rows:
        worst = max(r["p95"] for r in rows)
        lines.append(f"  部门视图最差 p95 {worst} ms（目标 ≤ {TARGET_P95_MS:.0f} ms）{mark(worst <= TARGET_P95_MS)}")
    lines.append(f"  测后负载 {data.get('load_average_after')}")
    print("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description="帮扶（政策推荐、帮扶清单、部门视图）基准测试")
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--profile", default="suixi")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=200, help="部门视图每个地址的请求次数（至少100）")
    parser.add_argument("--proposals", type=int, default=200, help="测推荐的监测户户数")
    parser.add_argument("--runs", type=int, default=3, help="村清单与全县清单导出的次数")
    parser.add_argument("--parts", default="propose,village,county,departments",
                        help="只测这些部分（逗号分隔）：propose, village, county, departments")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--child-measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_measure:
        data = measure(args)
        Path(args.json).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    env, generation = bench_run.county_env(args, "sqlite-assistance", "含帮扶演示数据")
    out = OUT / f"assistance-{os.getpid()}.json"
    try:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child-measure", "--requests",
                        str(args.requests), "--proposals", str(args.proposals), "--runs", str(args.runs),
                        "--parts", args.parts, "--seed", str(args.seed), "--json", str(out)],
                       env=env, cwd=ROOT, check=True)
        data = json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)
        bench_run.drop_county(args, "sqlite-assistance")
    data["generation"] = generation
    data["load_average_after"] = bench_run._load()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"assistance-{stamp}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    _summary(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
