"""Public self-declaration page under a burst (R-DISC-02): the production stack, 200 requests from loopback.

    .venv/bin/python benchmarks/public_bench.py                 # SQLite, database cache
    .venv/bin/python benchmarks/public_bench.py --redis         # SQLite, Redis cache (127.0.0.1:6379)
    .venv/bin/python benchmarks/public_bench.py --postgres      # PostgreSQL, database cache

It builds a throwaway demo county (``build_demo``, small: the page reads one village and, on a
submission, probes the registry by ID number through an index), collects the static files, and starts
the real stack as production runs it: gunicorn with ``deploy/gunicorn.conf.py`` and DEBUG off, and the
task worker, on a free loopback port. Then, from loopback:

1. a burst of ``--requests`` GETs of one village's page, ``--concurrency`` at a time;
2. a burst of ``--requests`` POSTs of valid declarations (each with its own valid ID number, so only
   the per-client limit applies), with the CSRF cookie and token a phone would have.

For each burst it reports the client-side latency p50 / p95 / max (all answers, and per status), the
server time gunicorn logged (p95), and the status codes seen. The limiter must answer 429 past its
limit — exactly ``limit`` answers 200 (counted atomically across the worker processes) — and no answer
may be a 5xx; the leads stored must be exactly the accepted submissions. Exit status 1 otherwise.
Results are also written as JSON to benchmarks/out/.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
PY = str(ROOT / ".venv" / "bin" / "python")

SETUP = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("load_profiles", verbosity=0)
call_command("seed_calendar", verbosity=0)
call_command("build_demo", profile="suixi", households={households}, seed=11, no_progress=True, verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
from fangpin.areas.models import Division, Level
from fangpin.discovery.public import declare_path
village = Division.objects.filter(level=Level.VILLAGE).order_by("code").first()
print(json.dumps({{"village": village.name, "path": declare_path(village)}}))
"""

COUNT_LEADS = """
import django
django.setup()
from fangpin.discovery.models import Lead
print(Lead.objects.filter(channel="qr_self_declaration", reporter__isnull=True, reporter_name__startswith="压测").count())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _id_numbers(n: int) -> list[str]:
    sys.path.insert(0, str(ROOT / "src"))
    from fangpin.policy.idnumbers import make_id_number

    return [make_id_number("340621", dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28), 500 + i, i % 2 == 0)
            for i in range(n)]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]


def _summary(rows: list[tuple[int, float]]) -> dict:
    times = [t for _s, t in rows]
    codes: dict[int, int] = {}
    for status, _t in rows:
        codes[status] = codes.get(status, 0) + 1
    per_status = {str(s): {"p50_ms": round(_pct([t for c, t in rows if c == s], .5), 1),
                           "p95_ms": round(_pct([t for c, t in rows if c == s], .95), 1)} for s in sorted(codes)}
    return {"requests": len(rows), "codes": {str(k): v for k, v in sorted(codes.items())},
            "p50_ms": round(_pct(times, .5), 1), "p95_ms": round(_pct(times, .95), 1),
            "max_ms": round(max(times), 1) if times else 0.0, "per_status": per_status}


def _server_ms(log: str, method: str, path: str) -> list[float]:
    """Server times gunicorn logged for ``method path`` (access log format ends in ``<ms>ms``)."""
    pattern = re.compile(rf'"{method} {re.escape(path)} HTTP/[\d.]+" (\d+) \S+ (\d+)ms')
    return [float(m.group(2)) for m in pattern.finditer(log)]


def run(args) -> int:
    work = Path(tempfile.mkdtemp(prefix="fp_public_bench_"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FANGPIN_", "DATABASE_URL"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "fangpin.settings", "PYTHONPATH": str(ROOT / "src"),
        "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "FANGPIN_DATA_DIR": str(work / "data"),
        "FANGPIN_STATIC_ROOT": str(work / "static"), "FANGPIN_BIND": f"127.0.0.1:{port}",
        "FANGPIN_WEB_WORKERS": str(args.workers), "FANGPIN_WEB_THREADS": str(args.threads), "PYTHONUNBUFFERED": "1",
        "FANGPIN_DECLARE_PAGE_RATE": args.page_rate, "FANGPIN_DECLARE_SUBMIT_RATE": args.submit_rate,
    })
    dropdb = None
    if args.postgres:
        name = f"fp_public_bench_{uuid.uuid4().hex[:8]}"
        pg = {**env, "PGHOST": args.pg_host, "PGPORT": str(args.pg_port), "PGUSER": args.pg_user}
        subprocess.run(["createdb", name], env=pg, check=True)
        env["DATABASE_URL"] = f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{name}"
        dropdb = (["dropdb", "--if-exists", name], pg)
    if args.redis:
        env["FANGPIN_REDIS_URL"] = args.redis_url
        env["FANGPIN_CACHE_PREFIX"] = f"bench{uuid.uuid4().hex[:8]}"
    cache = "redis" if args.redis else "database"
    database = "postgresql" if args.postgres else "sqlite"
    print(f"[public_bench] {database}, {cache} cache, {args.households} households, gunicorn "
          f"{args.workers}×{args.threads}, burst {args.requests} at {args.concurrency} concurrent", flush=True)
    procs: list[subprocess.Popen] = []
    try:
        out = subprocess.run([PY, "-c", SETUP.format(households=args.households)], env=env, cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        info = json.loads(out.strip().splitlines()[-1])
        logs = work / "logs"
        logs.mkdir()
        for name, cmd in (("web", [str(ROOT / ".venv/bin/gunicorn"), "-c", "deploy/gunicorn.conf.py"]),
                          ("worker", [PY, "-m", "fangpin.manage", "db_worker"])):
            with open(logs / f"{name}.log", "wb") as log:
                procs.append(subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True))
        url = base + info["path"]
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"{base}/accounts/login/", timeout=10)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or procs[0].poll() is not None:
                    print((logs / "web.log").read_text()[-3000:])
                    return 1
                time.sleep(0.3)

        # Warm every worker process (imports, templates, database connections) on other public pages,
        # which do not count against the declaration page's limits.
        for _ in range(args.warmup):
            requests.get(f"{base}/accounts/login/", timeout=60)
            requests.get(f"{base}/cases/status/", timeout=60)

        def get(_i):
            start = time.perf_counter()
            r = requests.get(url, timeout=60)
            return r.status_code, (time.perf_counter() - start) * 1000, r

        with cf.ThreadPoolExecutor(args.concurrency) as pool:
            got = list(pool.map(get, range(args.requests)))
        page = next(r for s, _t, r in got if s == 200)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        cookies = {"csrftoken": page.cookies["csrftoken"]}
        ids = _id_numbers(args.requests)

        def post(i):
            data = {"csrfmiddlewaretoken": token, "person_name": f"压测{i:03d}", "id_number": ids[i],
                    "person_phone": f"139{i:08d}", "risk_types": ["因病"], "description": "压测：家中老人住院"}
            start = time.perf_counter()
            r = requests.post(url, data=data, cookies=cookies, headers={"Referer": url}, timeout=60)
            return r.status_code, (time.perf_counter() - start) * 1000, r

        with cf.ThreadPoolExecutor(args.concurrency) as pool:
            posted = list(pool.map(post, range(args.requests)))
        stored = int(subprocess.run([PY, "-c", COUNT_LEADS], env=env, cwd=ROOT, capture_output=True, text=True,
                                    check=True).stdout.strip())
        web_log = (logs / "web.log").read_text(encoding="utf-8", errors="replace")
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        if dropdb:
            subprocess.run(dropdb[0], env=dropdb[1], check=False)

    path = info["path"]
    page_limit, submit_limit = int(args.page_rate.split("/")[0]), int(args.submit_rate.split("/")[0])
    result = {
        "when": dt.datetime.now().isoformat(timespec="seconds"), "database": database, "cache": cache,
        "households": args.households, "workers": args.workers, "threads": args.threads,
        "concurrency": args.concurrency, "page_rate": args.page_rate, "submit_rate": args.submit_rate,
        "load_average": os.getloadavg(),
        "get": {**_summary([(s, t) for s, t, _r in got]),
                "server_p95_ms": round(_pct(_server_ms(web_log, "GET", path), .95), 1)},
        "post": {**_summary([(s, t) for s, t, _r in posted]),
                 "server_p95_ms": round(_pct(_server_ms(web_log, "POST", path), .95), 1)},
        "leads_stored": stored,
    }
    problems = []
    for kind, rows, limit in (("GET", got, page_limit), ("POST", posted, submit_limit)):
        codes = [s for s, _t, _r in rows]
        if any(s >= 500 for s in codes):
            problems.append(f"{kind}: server errors {sorted(set(s for s in codes if s >= 500))}")
        if set(codes) - {200, 429}:
            problems.append(f"{kind}: unexpected answers {sorted(set(codes) - {200, 429})}")
        # Exactly the limit, unless the burst crossed the end of the counter's window (then at most twice).
        if not limit <= codes.count(200) <= 2 * limit:
            problems.append(f"{kind}: {codes.count(200)} answers 200, the limit is {limit}")
        if not all("请稍后再试" in r.text or "过于频繁" in r.text for s, _t, r in rows if s == 429):
            problems.append(f"{kind}: a 429 without its Chinese message")
    if stored != [s for s, _t, _r in posted].count(200):
        problems.append(f"stored {stored} leads for {[s for s, _t, _r in posted].count(200)} accepted submissions")
    result["problems"] = problems
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"public_{database}_{cache}_{dt.datetime.now():%Y%m%d_%H%M%S}.json"
    target.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    for kind in ("get", "post"):
        r = result[kind]
        print(f"  {kind.upper():4} codes {r['codes']}  client p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  max "
              f"{r['max_ms']} ms  (per status {r['per_status']})  server p95 {r['server_p95_ms']} ms")
    print(f"  leads stored: {stored}   load average: {', '.join(f'{x:.2f}' for x in result['load_average'])}")
    print(f"  written to {target.relative_to(ROOT)}")
    for p in problems:
        print(f"  PROBLEM: {p}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--households", type=int, default=300)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (deploy default 3)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (deploy default 4)")
    parser.add_argument("--warmup", type=int, default=30, help="requests to other pages before the bursts")
    parser.add_argument("--page-rate", default="60/m")
    parser.add_argument("--submit-rate", default="10/h")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--pg-host", default=os.environ.get("PGHOST", "127.0.0.1"))
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("PGPORT", "5432")))
    parser.add_argument("--pg-user", default=os.environ.get("PGUSER", "postgres"))
    parser.add_argument("--redis", action="store_true")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway data directory and logs")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
