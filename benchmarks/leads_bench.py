"""Lead list benchmark (R-DISC-01, R-DISC-03): server time of the lead pages and API.

    python benchmarks/leads_bench.py                          # SQLite, 300 000 households
    python benchmarks/leads_bench.py --households 60000 --requests 50
    python benchmarks/leads_bench.py --measure-only           # the database the environment points at

(a) builds a throwaway county the way ``benchmarks/run.py`` does (migrate, profiles, calendar,
``build_demo``, whose discovery step writes the demo leads); (b) in a child process with
``DJANGO_DEBUG=0``: requests the lead list page ``/leads/`` (all, and overdue only), the API
``/api/leads`` and the flows page ``/leads/flow/`` with Django's test client as a grid worker (the grid
with the most leads), a village cadre (the village with the most leads) and a township user (the
township with the most leads), reporting server time p50 / p95 / max and the SQL statements of one
request. Target: p95 ≤ 100 ms.
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

_spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
bench_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_run)

USERS = [("bench_grid", "grid_worker", "网格员", 17), ("bench_village", "village_cadre", "村干部", 12),
         ("bench_township", "township_staff", "乡镇用户", 9)]
ENDPOINTS = [("page", "线索列表页面", "/leads/"), ("page_overdue", "页面（只看逾期）", "/leads/?overdue=1"),
             ("api", "API", "/api/leads"), ("flow", "来源与流转", "/leads/flow/")]


def _busiest(code_length: int, county: str) -> str:
    from django.db.models import Count
    from django.db.models.functions import Length, Substr

    from fangpin.discovery.models import Lead

    row = (Lead.objects.filter(division_code__startswith=county).annotate(size=Length("division_code"))
           .filter(size__gte=code_length).annotate(unit=Substr("division_code", 1, code_length)).values("unit").annotate(n=Count("id"))
           .order_by("-n").first())
    return row["unit"]


def measure(requests: int) -> dict:
    bench_run._setup_django()
    from django.db import connection
    from django.test import Client

    from fangpin.accounts.models import User
    from fangpin.areas.models import Division
    from fangpin.discovery.models import Lead
    from fangpin.registry.models import Household

    county = User.objects.select_related("division").get(username="county").division
    households = Household.objects.filter(division_code__startswith=county.code).count()
    results = []
    try:
        for username, role, label, level in USERS:
            place = _busiest(level, county.code)
            User.objects.filter(username=username).delete()
            user = User.objects.create(username=username, role=role, division=Division.objects.get(code=place),
                                       display_name="基准测试")
            client = Client()
            client.force_login(user)
            in_scope = Lead.objects.filter(division_code__startswith=place).count()
            for _key, ep_label, url in ENDPOINTS:
                for _ in range(5):
                    client.get(url)
                statements = []
                with connection.execute_wrapper(
                        lambda execute, sql, *a, _s=statements: _s.append(sql) or execute(sql, *a)):
                    first = client.get(url)
                assert first.status_code == 200, (url, first.status_code)
                times = []
                for _ in range(requests):
                    t0 = time.perf_counter()
                    r = client.get(url)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200
                row = {"user": label, "division": user.division.name, "leads": in_scope, "endpoint": ep_label,
                       "p50_ms": round(statistics.median(times), 1),
                       "p95_ms": round(bench_run._percentile(times, 0.95), 1), "max_ms": round(max(times), 1),
                       "sql": len(statements)}
                results.append(row)
                print(f"  {label}（{user.division.name}，{in_scope}条线索）{ep_label}：p50 {row['p50_ms']}  "
                      f"p95 {row['p95_ms']}  max {row['max_ms']} ms，SQL {row['sql']} 条", flush=True)
    finally:
        User.objects.filter(username__in=[u[0] for u in USERS]).delete()
    return {"vendor": connection.vendor, "households": households, "leads": Lead.objects.count(),
            "results": results}


def main(argv=None):
    parser = argparse.ArgumentParser(description="线索列表响应时间基准测试")
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--profile", default="suixi")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--child-measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_measure:
        data = measure(args.requests)
        Path(args.json).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    env, generation = bench_run.county_env(args, "sqlite-leads", "含演示线索")
    out = OUT / f"leads-{os.getpid()}.json"
    try:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child-measure", "--requests",
                        str(args.requests), "--json", str(out)], env=env, cwd=ROOT, check=True)
        data = json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)
        bench_run.drop_county(args, "sqlite-leads")
    data["generation"] = generation
    data["load_average_after"] = bench_run._load()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"leads-{stamp}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    slow = [r for r in data["results"] if r["p95_ms"] > TARGET_P95_MS]
    print(f"\n{data['vendor']}：{data['households']} 户，线索 {data['leads']} 条；p95 目标 ≤ {TARGET_P95_MS:.0f} ms："
          f"{'全部达标' if not slow else f'{len(slow)} 项未达标'}；测后负载 {data['load_average_after']}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
