"""The shipped deployment files agree with the program (R-OPS-01): the env example's settings pass
Django's deployment checks apart from the two documented choices, every unit runs a command that
exists, and every variable the example sets is read by the settings or the gunicorn configuration."""

from __future__ import annotations

import configparser
import os
import pwd
import re
import secrets
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands

from .conftest import machine_env, manage

DEPLOY = Path(settings.PROJECT_DIR) / "deploy"
# Left on purpose, explained in docs/operations.md ("Deployment checks").
DOCUMENTED_WARNINGS = {"security.W005", "security.W021"}


def _env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "fangpin.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def test_the_production_env_passes_check_deploy_apart_from_documented_choices_R_OPS_01(tmp_path):
    env = machine_env()
    env.update(_env_example())
    env.pop("DATABASE_URL")  # the checks do not connect; no PostgreSQL role named fangpin here
    env.update({"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "FANGPIN_DATA_DIR": str(tmp_path / "data"),
                "FANGPIN_BACKUP_DIR": str(tmp_path / "backups"), "FANGPIN_STATIC_ROOT": str(tmp_path / "static")})
    result = manage("check", "--deploy", env=env)
    found = set(re.findall(r"\((\w+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert found == DOCUMENTED_WARNINGS, result.stdout + result.stderr
    assert result.returncode == 0
    # The placeholder secret key of the example is itself refused as weak.
    env["DJANGO_SECRET_KEY"] = _env_example()["DJANGO_SECRET_KEY"]
    assert "security.W009" in manage("check", "--deploy", env=env).stderr


def test_every_unit_runs_an_existing_command_as_the_service_user_R_OPS_01():
    commands = get_commands()
    env_file = _env_example()
    units = sorted(p.name for p in DEPLOY.glob("fangpin-*.service"))
    assert units == ["fangpin-backup.service", "fangpin-mustvisit.service", "fangpin-schedule.service",
                     "fangpin-sweep.service", "fangpin-web.service", "fangpin-worker.service"]
    for name in units:
        service = _unit(name)["Service"]
        assert service["User"] == "fangpin" and service["EnvironmentFile"] == "/etc/fangpin/fangpin.env"
        assert env_file["FANGPIN_DATA_DIR"] in service["ReadWritePaths"].split()
        argv = shlex.split(service["ExecStart"])
        if argv[0].endswith("/gunicorn"):
            assert argv[1:] == ["-c", "deploy/gunicorn.conf.py"] and (DEPLOY / "gunicorn.conf.py").exists()
        else:
            assert argv[1:3] == ["-m", "fangpin.manage"] and argv[3] in commands, argv
    assert _unit("fangpin-worker.service")["Service"]["Restart"] == "always"
    assert env_file["FANGPIN_BACKUP_DIR"] in _unit("fangpin-backup.service")["Service"]["ReadWritePaths"].split()
    for timer in ("fangpin-backup.timer", "fangpin-mustvisit.timer", "fangpin-schedule.timer", "fangpin-sweep.timer"):
        assert (DEPLOY / timer.replace(".timer", ".service")).exists() and "Timer" in _unit(timer)


def test_every_variable_of_the_env_example_is_read_by_the_program_R_OPS_01():
    sources = "".join(p.read_text(encoding="utf-8") for p in Path(settings.BASE_DIR).rglob("*.py"))
    sources += (DEPLOY / "gunicorn.conf.py").read_text(encoding="utf-8")
    mentioned = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (DEPLOY / "fangpin.env.example").read_text(encoding="utf-8"), re.M))
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "FANGPIN_DATA_DIR"} <= mentioned
    unread = sorted(v for v in mentioned if f'"{v}"' not in sources)
    assert unread == []


def test_nginx_example_allows_county_workbooks_and_passes_the_client_and_scheme_R_OPS_01():
    conf = (DEPLOY / "nginx-fangpin.conf").read_text(encoding="utf-8")
    size = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1))
    assert size >= 200
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "proxy_pass http://fangpin;" in conf and "server 127.0.0.1:8000;" in conf
    assert re.search(r"listen 443 ssl", conf) and "return 301 https://" in conf


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"), reason="fangpin-manage switches user with runuser (root only)")
def test_fangpin_manage_runs_a_command_with_the_env_files_settings_from_anywhere_R_OPS_01(tmp_path):
    env_file = tmp_path / "fangpin.env"
    env_file.write_text(f"# settings\nDJANGO_DEBUG=1\nFANGPIN_DATA_DIR={tmp_path / 'data'}\n", encoding="utf-8")
    env = {**machine_env(), "FANGPIN_HOME": str(settings.PROJECT_DIR), "FANGPIN_ENV": str(env_file),
           "FANGPIN_USER": pwd.getpwuid(os.geteuid()).pw_name}
    script = str(DEPLOY / "fangpin-manage")
    result = subprocess.run([script, "shell", "-c", "from django.conf import settings; print(settings.DATA_DIR)"],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "data")
    usage = subprocess.run([script], env=env, capture_output=True, text=True, timeout=30)
    assert usage.returncode == 2 and "usage: fangpin-manage COMMAND" in usage.stderr
