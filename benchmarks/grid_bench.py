"""Grid benchmark (R-GRID-06, R-GRID-04): the grid reports, pages and the 附件2 ledger at county scale.

    python benchmarks/grid_bench.py                          # SQLite, 300 000 households
    python benchmarks/grid_bench.py --households 60000 --requests 20
    python benchmarks/grid_bench.py --measure-only           # the database the environment points at

(a) builds a throwaway SQLite county (migrate, profiles, calendar, ``build_demo`` with only the grid's
demo step, so the figures are the grid's alone); (b) in a child process with ``DJANGO_DEBUG=0`` times
``grid_report`` for the county, its largest township and its largest village, then requests the grid
pages with Django's test client — the county report (county office), the township report (township
staff), a village's grid page and its ledger (village cadre), a grid page (grid worker) — reporting
server time p50 / p95 / max. Target: p95 ≤ 100 ms for every page below county level, ≤ 1 s for the
county's report.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"


def _env(data_dir: Path) -> dict:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update({"DJANGO_DEBUG": "0", "DJANGO_SECURE_COOKIES": "0", "DJANGO_SECRET_KEY": "grid-bench-" + "x" * 40,
                "FANGPIN_DATA_DIR": str(data_dir), "FANGPIN_STATIC_ROOT": str(OUT / "static"),
                "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")})
    return env


def _manage(env, *args):
    subprocess.run([sys.executable, "-m", "fangpin.manage", *args], env=env, cwd=ROOT, check=True,
                   capture_output=True, text=True)


def build(households: int) -> None:
    """Runs in the child: the demo county with the grid's demo step only."""
    _setup()
    from fangpin.grid.demo import build_grid_demo
    from fangpin.registry import demo

    demo.DEMO_STEPS[:] = [build_grid_demo]
    t0 = time.perf_counter()
    result = demo.build_demo("suixi", households, 20260511)
    print(f"  生成演示县 {result.households} 户，用时 {time.perf_counter() - t0:.1f} 秒", flush=True)


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    import django

    django.setup()


def _stats(samples: list[float]) -> dict:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(p95, 1), "max_ms": round(samples[-1], 1)}


def measure(requests: int) -> dict:
    _setup()
    from django.db.models import Count
    from django.test import Client

    from fangpin.accounts.models import User
    from fangpin.areas.models import Division, Level
    from fangpin.grid.reports import grid_report
    from fangpin.registry.models import Household

    county = User.objects.select_related("division").get(username="county").division
    households = Household.objects.filter(division_code__startswith=county.code).count()
    township = Division.objects.get(code=Household.objects.filter(division_code__startswith=county.code)
                                    .values("village__parent__code").annotate(n=Count("id")).order_by("-n")
                                    .first()["village__parent__code"])
    village = Division.objects.get(pk=Household.objects.filter(division_code__startswith=township.code)
                                   .values("village").annotate(n=Count("id")).order_by("-n").first()["village"])
    grid = Division.objects.filter(code__startswith=village.code, level=Level.GRID).order_by("code").first()
    results = {"households": households, "reports": {}, "pages": []}
    for label, place in (("county", county), ("township", township), ("village", village)):
        times = []
        for _ in range(max(3, requests // 4)):
            t0 = time.perf_counter()
            grid_report(place)
            times.append((time.perf_counter() - t0) * 1000)
        results["reports"][label] = _stats(times)
        print(f"  grid_report（{place.name}）：{results['reports'][label]}", flush=True)
    users = []
    try:
        for username, role, division in (("bench_county", "county_office", county),
                                         ("bench_township", "township_staff", township),
                                         ("bench_village", "village_cadre", village),
                                         ("bench_grid", "grid_worker", grid)):
            users.append(User.objects.update_or_create(username=username, defaults={
                "role": role, "division": division, "display_name": "基准测试"})[0])
        pages = [
            ("县网格情况", users[0], "/grid/report/"),
            ("乡镇网格情况", users[1], "/grid/report/"),
            ("村网格页", users[2], f"/grid/villages/{village.pk}/"),
            ("村基层网格工作台账", users[2], f"/grid/villages/{village.pk}/ledger.xlsx"),
            ("网格员本网格", users[3], f"/grid/grids/{grid.pk}/"),
            ("API 县网格情况", users[0], "/api/grid-report"),
        ]
        for label, user, url in pages:
            client = Client()
            client.force_login(user)
            for _ in range(3):
                assert client.get(url).status_code == 200, url
            times = []
            for _ in range(requests):
                t0 = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            row = {"page": label, "url": url, **_stats(times)}
            results["pages"].append(row)
            print(f"  {label}：p50 {row['p50_ms']}  p95 {row['p95_ms']}  max {row['max_ms']} ms", flush=True)
    finally:
        try:
            User.objects.filter(pk__in=[u.pk for u in users]).delete()
        except Exception as exc:  # an app's tables not migrated in this database: the accounts stay
            print(f"  基准测试账号未能删除：{exc}", flush=True)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=300000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", choices=["build", "measure"])
    args = parser.parse_args()
    if args.child == "build":
        build(args.households)
        return
    if args.child == "measure" or args.measure_only:
        out = measure(args.requests)
        out["load_average"] = [round(x, 2) for x in os.getloadavg()]
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "grid-bench.json").write_text(json.dumps(out, ensure_ascii=False, indent=1))
        return
    data_dir = OUT / "grid-sqlite"
    data_dir.mkdir(parents=True, exist_ok=True)
    for f in data_dir.glob("fangpin.sqlite3*"):
        f.unlink()
    env = _env(data_dir)
    try:
        print("  迁移数据库、载入画像和日历 …", flush=True)
        _manage(env, "migrate", "--noinput", "-v0")
        _manage(env, "load_profiles")
        _manage(env, "seed_calendar")
        _manage(env, "collectstatic", "--noinput", "-v0")
        me = [sys.executable, str(Path(__file__).resolve())]
        subprocess.run([*me, "--child", "build", "--households", str(args.households)], env=env, check=True)
        subprocess.run([*me, "--child", "measure", "--requests", str(args.requests)], env=env, check=True)
    finally:
        if not args.keep:
            for f in data_dir.glob("fangpin.sqlite3*"):
                f.unlink()


if __name__ == "__main__":
    main()
