"""Benchmark: import a national-style export of ~1M member rows (~300k households) on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/import_bench.py                   # 1,000,000 rows, both databases
    .venv/bin/python benchmarks/import_bench.py --rows 100000 --db sqlite
    .venv/bin/python benchmarks/import_bench.py --file some_export.xlsx --county 340621

The file is generated once (``var/bench/national_<rows>.xlsx``, the "监测对象信息" layout with two
title rows, number cells for phones and dates, text ID numbers) and reused. Each database run happens
in a fresh child process on a throwaway database (a temporary SQLite file; ``createdb``/``dropdb`` on
127.0.0.1:5432 as user postgres) and times, for a first import and for a re-import of the same file:
the dry run (read, check, diff, save preview) and the apply (re-plan against the database, write in
one transaction). Peak memory is the child's maximum resident set size, given per run (first import,
re-import) and per phase (sampled every 20 ms); beside it, in the same run and a process of its own,
the time and peak memory fastexcel needs merely to read the same workbook whole (``--reader-only``
measures only that), which is the floor any whole-sheet read would have to stand on. The largest
process the import itself started (on SQLite, the Arrow reader of the county's rows) is reported too:
its memory is its own, beside the import's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from fangpin.manage import configure_allocator  # noqa: E402

configure_allocator()  # as every process of the product does, before polars is loaded

SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高"
GIVEN = "建国秀兰明华军红平玉梅志强桂英海燕德胜永华小磊春生丽娟子涵浩然雨轩"


def _name(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def generate(path: Path, rows_wanted: int, seed: int = 2026) -> int:
    """Write a synthetic county in the 监测对象信息 layout with national-export quirks."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    django.setup()
    from fangpin.interop.export import write_workbook
    from fangpin.interop.layouts import layouts
    from fangpin.policy.idnumbers import make_id_number

    layout = layouts()["monitoring"]
    keys = layout.field_keys()
    index = {k: i for i, k in enumerate(keys)}
    rng = random.Random(seed)
    townships = [f"第{i + 1}镇" for i in range(20)]
    villages = [f"第{j + 1}村" for j in range(16)]
    start = time.monotonic()

    used: set[str] = set()

    def lines():
        written, number, seq = 0, 0, 0
        while written < rows_wanted:
            number += 1
            t = number % len(townships)
            v = (number // len(townships)) % len(villages)
            size = min(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6)), rows_wanted - written)
            r = rng.random()
            monitored = r < 0.03
            category, htype = ("边缘易致贫户", "普通农户") if monitored else (("", "脱贫户") if r < 0.23 else ("", "普通农户"))
            household = [""] * len(keys)
            household[index["county"]] = "濉溪县"
            household[index["township"]] = townships[t]
            household[index["village"]] = f"{townships[t]}{villages[v]}"
            household[index["household_number"]] = f"34062110{number:08d}"
            household[index["monitored_category"]] = category
            household[index["household_type"]] = htype
            household[index["household_phone"]] = f"139{rng.randrange(10**8):08d}"
            household[index["no_labour"]] = "否"
            household[index["dangerous_house"]] = "否"
            household[index["safe_water"]] = "是"
            household[index["farmland"]] = str(rng.choice((0, 1.5, 2, 3.5, 5)))
            household[index["household_size"]] = str(size)
            household[index["risk_resolved"]] = "否" if monitored else ""
            wage = rng.randrange(0, 4000000)
            household[index["wage_total"]] = wage
            household[index["production_income"]] = rng.randrange(0, 800000)
            household[index["transfer_total"]] = rng.randrange(0, 300000)
            household[index["production_expense"]] = rng.randrange(0, 200000)
            household[index["eligible_out_of_pocket"]] = 0
            if monitored:
                household[index["identified_month"]] = f"2024{rng.randrange(1, 13):02d}"
                household[index["risk_1"]] = rng.choice(("因病", "因残", "缺劳动力", "因学"))
                household[index["measure_health"]] = "参加城乡居民基本医疗保险个人缴费补贴"
            for k in ("wage_total", "production_income", "transfer_total", "production_expense", "eligible_out_of_pocket"):
                if household[index[k]] == "":
                    household[index[k]] = None
            head_male = rng.random() < 0.8
            for p in range(size):
                seq += 1
                if p == 0:
                    relation, male, age = "户主", head_male, rng.randrange(35, 80)
                elif p == 1:
                    relation, male, age = "配偶", not head_male, rng.randrange(33, 78)
                else:
                    male = rng.random() < 0.5
                    relation, age = ("之子" if male else "之女"), rng.randrange(1, 40)
                birth = dt.date(2025 - age, rng.randrange(1, 13), rng.randrange(1, 29))
                row = list(household)
                idn, bump = make_id_number("340621", birth, seq, male), 0
                while idn in used:  # the synthetic sequence wraps every 500 numbers per birth date
                    bump += 1
                    idn = make_id_number("340621", birth + dt.timedelta(days=bump), seq, male)
                    birth = birth + dt.timedelta(days=bump)
                used.add(idn)
                row[index["seq"]] = str(written + 1)
                row[index["person_number"]] = f"{seq:012d}"
                row[index["name"]] = _name(rng)
                row[index["id_number"]] = idn
                row[index["sex"]] = "男" if male else "女"
                row[index["birth_date"]] = birth.strftime("%Y%m%d")
                row[index["relation"]] = relation
                row[index["ethnicity"]] = "汉族"
                student = age < 18 and age >= 7
                row[index["student_status"]] = "小学" if student and age < 13 else ("九年级" if student else "")
                row[index["education"]] = "" if student or age < 7 else rng.choice(("小学", "初中", "高中"))
                row[index["health"]] = "健康" if rng.random() < 0.85 else "长期慢性病"
                row[index["labour"]] = "无劳动力" if age < 16 or age > 70 else "普通劳动力"
                row[index["medical_insurance"]] = "是"
                row[index["serious_illness_insurance"]] = "是"
                row[index["pension_insurance"]] = "是" if age >= 16 else "否"
                row[index["dibao_status"]] = "未享受"
                row[index["tekun_status"]] = "不享受"
                row[index["member_phone"]] = f"138{rng.randrange(10**8):08d}" if age >= 18 else ""
                yield row
                written += 1

    count = write_workbook(str(path), layout, lines(), county_name="濉溪县", national_style=True)
    print(f"generated {count} rows in {time.monotonic() - start:.0f}s: {path} ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
    return count


def _status_mb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    return 0


def _reset_peak() -> None:
    """Start a new peak (VmHWM) for this process (Linux: clear_refs 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


class RssSampler:
    """Resident memory every ``interval`` seconds, to give each phase of a run its peak."""

    def __init__(self, interval: float = 0.02):
        self.interval, self.samples, self.stop = interval, [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set():
            self.samples.append((time.monotonic(), _status_mb("VmRSS")))
            self.stop.wait(self.interval)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def peak(self, start: float, end: float) -> int:
        return max((mb for t, mb in self.samples if start <= t <= end), default=0)

    def phases(self, start: float, timings) -> list:
        """[(label, seconds, peak MB)] for consecutive phases starting at ``start``."""
        out, t = [], start
        for label, seconds in timings or []:
            out.append((label, seconds, self.peak(t, t + seconds)))
            t += seconds
        return out


def reader_only(file: str) -> None:
    """Time and peak memory of fastexcel reading the whole sheet as text (no import around it)."""
    import fastexcel
    import polars as pl

    t0 = time.monotonic()
    frame = pl.from_arrow(fastexcel.read_excel(file).load_sheet(0, header_row=None, eager=True, dtypes="string"))
    seconds = time.monotonic() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": frame.height, "seconds": round(seconds, 1), "peak_rss_mb": round(peak)}), flush=True)


def child(db: str, file: str, county: str, runs: int) -> None:
    """Run inside a fresh process with the database environment already set."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    django.setup()
    from django.core.management import call_command

    from fangpin.areas.models import Division, Level
    from fangpin.interop import jobs, services
    from fangpin.profiles.services import load_profiles

    call_command("migrate", verbosity=0)
    load_profiles()
    if not Division.objects.filter(code=county).exists():
        from fangpin.registry.divisions import create_division

        create_division(None, parent=None, level=Level.COUNTY, code=county, name="濉溪县", profile_key="suixi")
    county_obj = Division.objects.get(code=county)
    results = []
    sampler = RssSampler().__enter__()
    for run in range(runs):
        with open(file, "rb") as fh:
            job = services.start_import(None, county_obj, fh, name=Path(file).name, enqueue=False)
        _reset_peak()
        t0 = time.monotonic()
        job = jobs.run_check(job.pk)
        t1 = time.monotonic()
        if job.status != "checked":
            raise SystemExit(f"check failed: {job.error}")
        services.request_apply(None, job, refused_seen=True, divisions_confirmed=True, enqueue=False)
        job = jobs.run_apply(job.pk)
        t2 = time.monotonic()
        if job.status != "applied":
            raise SystemExit(f"apply failed: {job.error}")
        check_timings, apply_timings = job.preview.get("timings"), job.counts.get("timings")
        results.append({
            "peak_rss_mb": _status_mb("VmHWM"),
            "check_memory": sampler.phases(t0, check_timings),
            "apply_memory": sampler.phases(t2 - sum(s for _, s in apply_timings or []), apply_timings),
            "run": "first import" if run == 0 else "re-import (same file)", "rows": job.row_count,
            "check_s": round(t1 - t0, 1), "apply_s": round(t2 - t1, 1), "total_s": round(t2 - t0, 1),
            "check_phases": check_timings, "apply_phases": apply_timings,
            "households": job.counts["households"], "members": {k: job.counts["members"][k] for k in ("create", "update", "unchanged", "refused")},
        })
    sampler.__exit__(None, None, None)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Not reported: the peak of the processes the import starts (on SQLite the Arrow reader,
    # interop.sqlite_arrow). RUSAGE_CHILDREN counts the parent's pages a child shares until it execs (a
    # `python -c pass` started by a 1.5 GB process shows 1.5 GB), so it says nothing of the reader itself.
    print(json.dumps({"db": db, "results": results, "peak_rss_mb": round(peak)}, ensure_ascii=False), flush=True)


def run_db(db: str, file: Path, county: str, runs: int) -> dict:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    tmp = tempfile.mkdtemp(prefix="fangpin_bench_")
    env["FANGPIN_DATA_DIR"] = tmp
    name = None
    if db == "postgres":
        name = f"fangpin_bench_{os.getpid()}"
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    try:
        out = subprocess.run([sys.executable, __file__, "--child", db, "--file", str(file), "--county", county, "--runs", str(runs)],
                             env=env, check=True, capture_output=True, text=True)
        line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
        return json.loads(line)
    except subprocess.CalledProcessError as exc:
        print(exc.stdout[-3000:], exc.stderr[-3000:], file=sys.stderr)
        raise
    finally:
        if name:
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=False)
        subprocess.run(["rm", "-rf", tmp], check=False)


def run_reader_only(file: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--whole-read-child", "--file", str(file)], check=True, capture_output=True, text=True)
    return json.loads([x for x in out.stdout.splitlines() if x.startswith("{")][-1])


def _phase_text(phases) -> str:
    return ", ".join(f"{label} {seconds}s/{mb}MB" for label, seconds, mb in phases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--file")
    parser.add_argument("--county", default="340621")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=2, help="1 = first import only; 2 = also re-import the same file")
    parser.add_argument("--reader-only", action="store_true", help="only time fastexcel reading the workbook whole")
    parser.add_argument("--no-reader", action="store_true", help="skip timing fastexcel reading the workbook whole")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--whole-read-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file, args.county, args.runs)
        return
    if args.whole_read_child:
        reader_only(args.file)
        return
    if args.file:
        file = Path(args.file)
    else:
        file = ROOT / "var" / "bench" / f"national_{args.rows}.xlsx"
        if not file.exists():
            file.parent.mkdir(parents=True, exist_ok=True)
            generate(file, args.rows)
    print(f"file: {file} ({file.stat().st_size / 1e6:.0f} MB), {os.cpu_count()} CPU", flush=True)
    if not args.no_reader:
        whole = run_reader_only(file)
        print(f"fastexcel reading the whole workbook as text (no import): {whole['seconds']}s, peak RSS {whole['peak_rss_mb']} MB", flush=True)
    if args.reader_only:
        return
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        result = run_db(db, file, args.county, args.runs)
        for r in result["results"]:
            print(f"{db:8s} {r['run']:22s} rows={r['rows']} check={r['check_s']}s apply={r['apply_s']}s total={r['total_s']}s "
                  f"peak RSS {r['peak_rss_mb']} MB households={r['households']} members={r['members']}", flush=True)
            print(f"{'':8s} dry run: {_phase_text(r['check_memory'])}", flush=True)
            print(f"{'':8s} apply:   {_phase_text(r['apply_memory'])}", flush=True)
        print(f"{db:8s} peak RSS {result['peak_rss_mb']} MB (whole child process)", flush=True)


if __name__ == "__main__":
    main()
