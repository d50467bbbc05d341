"""Production smoke test (R-OPS-01): the real stack — gunicorn with deploy/gunicorn.conf.py and DEBUG
off, the django-tasks-db worker — started as separate processes against a throwaway database, driven
over HTTP like a browser: log in through the form with its CSRF token, upload a national export, let
the worker check it, confirm, see it applied, export the county back, then stop everything cleanly.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import openpyxl
import pytest
import requests
from django.conf import settings
from django.db import connection

from fangpin.policy.idnumbers import make_id_number
from tests.interop.conftest import person, write_xlsx

from .conftest import admin_env, current_db, machine_env

pytestmark = pytest.mark.smoke

# One process does what an operator does with separate commands after installing (docs/operations.md).
SETUP = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("load_profiles", verbosity=0)
call_command("seed_calendar", verbosity=0)
call_command("build_demo", profile="suixi", households=120, seed=7, no_progress=True, verbosity=0)
from fangpin.areas.models import Division, Level
village = Division.objects.filter(level=Level.VILLAGE).order_by("code").first()
print(json.dumps({"village": village.name, "village_code": village.code, "township": village.parent.name}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def production_env(tmp_path):
    """Environment of a production machine, on a throwaway database of the kind this pass tests."""
    env = machine_env()
    port = _free_port()
    env.update({
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE_COOKIES": "0",  # plain http on loopback, as `make serve`
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "FANGPIN_DATA_DIR": str(tmp_path / "data"),
        "FANGPIN_STATIC_ROOT": str(tmp_path / "static"),
        "FANGPIN_BIND": f"127.0.0.1:{port}",
        "FANGPIN_WEB_WORKERS": "2",
        "FANGPIN_WEB_THREADS": "2",
        "PYTHONUNBUFFERED": "1",
    })
    dropdb = None
    if connection.vendor == "postgresql":
        db = current_db()
        name = f"fp_smoke_{uuid.uuid4().hex[:10]}"
        subprocess.run(["createdb", name], env=admin_env(db), check=True, capture_output=True)
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
        dropdb = ["dropdb", "--if-exists", name]
    env["_URL"] = f"http://127.0.0.1:{port}"
    yield env
    if dropdb:
        subprocess.run(dropdb, env=admin_env(current_db()), check=False, capture_output=True)


class Stack:
    """The web server and the worker, each in its own process group so that stopping is checkable."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs = env, logs
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, cmd: list[str]) -> None:
        log = open(self.logs / f"{name}.log", "wb")
        self.procs[name] = subprocess.Popen(
            cmd, env=self.env, cwd=settings.PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def alive(self, name: str) -> bool:
        return self.procs[name].poll() is None

    def group_alive(self, name: str) -> bool:
        try:
            os.killpg(self.procs[name].pid, 0)
            return True
        except ProcessLookupError:
            return False

    def stop(self) -> dict[str, int]:
        """SIGTERM, as systemd stops a unit; wait for each process and for its whole group."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = {name: proc.wait(timeout=60) for name, proc in self.procs.items()}
        deadline = time.monotonic() + 15
        while any(self.group_alive(n) for n in self.procs) and time.monotonic() < deadline:
            time.sleep(0.1)
        return codes

    def kill_leftovers(self) -> None:
        for name, proc in self.procs.items():
            if self.group_alive(name):
                os.killpg(proc.pid, signal.SIGKILL)
            if proc.poll() is None:
                proc.wait(timeout=10)


SEEN: dict = {}  # the last answer of each poll, shown when a wait times out


def _wait(what: str, check, timeout: float, stack: Stack, poll: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        for name in stack.procs:
            assert stack.alive(name), f"{name} died while waiting for {what}:\n{stack.log(name)[-3000:]}"
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {SEEN}\n{stack.log('worker')[-3000:]}"
        time.sleep(poll)


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _workbook(tmp_path: Path, place: dict) -> tuple[Path, list[str]]:
    """A small national-style export: two new households in the demo county's first village."""
    numbers = [place["village_code"] + "9001", place["village_code"] + "9002"]
    seq = iter(range(900, 999))
    rows = []
    for number, (head, spouse) in zip(numbers, [("郑国强", "王春梅"), ("韩志刚", "刘小燕")], strict=True):
        for name, relation, male, born in ((head, "户主", True, dt.date(1933, 3, 3)), (spouse, "配偶", False, dt.date(1935, 5, 5))):
            rows.append(person(number, name, relation, birth=born, male=male, township=place["township"],
                               village=place["village"], id_number=make_id_number("340621", born, next(seq), male)))
    return write_xlsx(tmp_path / "监测对象导出.xlsx", rows), numbers


def test_production_stack_serves_login_import_and_export_and_stops_cleanly_R_OPS_01(production_env, tmp_path):
    started = time.monotonic()
    env, url = production_env, production_env.pop("_URL")
    python = sys.executable
    # collectstatic (the production path: hashed, compressed files) runs beside the database setup.
    collect = subprocess.Popen([python, "-m", "fangpin.manage", "collectstatic", "--noinput", "-v0"],
                               env=env, cwd=settings.PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    setup = subprocess.run([python, "-c", SETUP], env=env, cwd=settings.PROJECT_DIR, capture_output=True, text=True, timeout=240)
    assert setup.returncode == 0, setup.stderr[-3000:]
    place = json.loads(setup.stdout.strip().splitlines()[-1])
    out, _ = collect.communicate(timeout=240)
    assert collect.returncode == 0, out[-3000:]

    stack = Stack(env, tmp_path)
    try:
        stack.start("worker", [python, "-m", "fangpin.manage", "db_worker"])
        stack.start("web", [str(Path(python).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py"])
        web = requests.Session()

        def login_page():
            try:  # the first request of a worker loads the whole application: give it time
                r = web.get(f"{url}/accounts/login/", timeout=30)
            except (requests.ConnectionError, requests.Timeout):
                return None
            return r if r.status_code == 200 else None

        page = _wait("gunicorn to answer", login_page, 180, stack)
        # DEBUG is off: collected, content-hashed static files, cached for good.
        css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.text)
        assert css, "the login page does not use the collected, hashed stylesheet"
        r = web.get(url + css.group(1), headers={"Accept-Encoding": "gzip"}, timeout=10)
        assert r.status_code == 200 and "immutable" in r.headers["Cache-Control"]
        assert r.headers.get("Content-Encoding") == "gzip"  # compressed once by collectstatic
        assert "Traceback" not in web.get(f"{url}/no-such-page/", timeout=10).text

        # Log in through the form, as a browser does.
        r = web.post(f"{url}/accounts/login/", data={"csrfmiddlewaretoken": _csrf(page.text), "username": "county",
                                                     "password": "demo-pass-2026"}, allow_redirects=False, timeout=30)
        assert r.status_code == 302 and r.headers["Location"] == "/", r.text[:500]
        home = web.get(f"{url}/", timeout=30)
        assert home.status_code == 200 and "周振华" in home.text
        before = web.get(f"{url}/api/households", timeout=30).json()["total"]
        assert before == 120

        # Upload a national export through the import page; the worker runs the dry run.
        path, numbers = _workbook(tmp_path, place)
        imports = web.get(f"{url}/interop/", timeout=30)
        with open(path, "rb") as fh:
            r = web.post(f"{url}/interop/", data={"csrfmiddlewaretoken": _csrf(imports.text), "county": "340621"},
                         files={"file": (path.name, fh, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
                         allow_redirects=False, timeout=60)
        assert r.status_code == 302, r.text[:1000]
        job_id = int(re.search(r"/interop/imports/(\d+)/", r.headers["Location"]).group(1))

        def job_status(*wanted):
            def check():
                job = SEEN["import"] = web.get(f"{url}/api/interop/imports/{job_id}", timeout=30).json()
                assert job["status"] not in ("failed", "rejected"), (job, stack.log("worker")[-3000:])
                return job if job["status"] in wanted else None
            return check

        job = _wait("the dry run", job_status("checked"), 300, stack)
        assert job["counts"]["households"]["create"] == 2 and job["refused_households"] == 0, job
        detail = web.get(f"{url}/interop/imports/{job_id}/", timeout=30)
        assert "预检结果（尚未写入）" in detail.text
        assert web.get(f"{url}/api/households", timeout=30).json()["total"] == before  # nothing written yet

        # Confirm on the page; the worker applies it.
        r = web.post(f"{url}/interop/imports/{job_id}/apply/", data={"csrfmiddlewaretoken": _csrf(detail.text)},
                     allow_redirects=False, timeout=30)
        assert r.status_code == 302
        _wait("the apply", job_status("applied"), 300, stack)
        assert "导入结果" in web.get(f"{url}/interop/imports/{job_id}/", timeout=30).text
        assert web.get(f"{url}/api/households", timeout=30).json()["total"] == before + 2
        found = web.get(f"{url}/api/households", params={"q": numbers[0]}, timeout=30).json()
        assert [h["number"] for h in found["items"]] == [numbers[0]]

        # Export the county back through the export form, download the workbook the worker wrote.
        imports = web.get(f"{url}/interop/", timeout=30)
        r = web.post(f"{url}/interop/exports/", data={"csrfmiddlewaretoken": _csrf(imports.text), "county": "340621",
                                                      "layout": "monitoring"}, timeout=30)
        export_id = int(re.search(r"导出#(\d+)", r.text).group(1))

        def export_done():
            job = SEEN["export"] = web.get(f"{url}/api/interop/exports/{export_id}", timeout=30).json()
            assert job["status"] != "failed", (job, stack.log("worker")[-3000:])
            return job if job["status"] == "done" else None

        _wait("the export", export_done, 300, stack)
        r = web.get(f"{url}/interop/exports/{export_id}/", timeout=60)
        assert r.status_code == 200 and r.content[:2] == b"PK"
        sheet = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True).active
        exported = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c}
        assert set(numbers) <= exported

        # Stop as systemd does: both end by themselves, nothing of theirs is left running.
        codes = stack.stop()
        assert codes == {"worker": 0, "web": 0}, codes
        assert not any(stack.group_alive(n) for n in stack.procs), "a process of the stack outlived its stop"
        for name in stack.procs:
            assert "Traceback" not in stack.log(name), stack.log(name)[-3000:]
    finally:
        stack.kill_leftovers()
    print(f"smoke test took {time.monotonic() - started:.1f}s")
