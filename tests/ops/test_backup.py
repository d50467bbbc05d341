"""Online backups and restore (R-OPS-02): consistent while others write, verified, refused over data."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from fangpin.audit.models import Event
from fangpin.audit.services import record
from fangpin.ops.backup import MANIFEST, BackupError, make_backup, read_manifest, restore_backup
from fangpin.registry.models import Household

from .conftest import (
    EVENTS,
    Writer,
    connect,
    current_db,
    machine_env,
    manage,
    only_postgres,
    only_sqlite,
    rows,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trail(households, personas):
    """Committed data with an audit event: what a backup must carry."""
    with transaction.atomic():
        event = record(personas["county_officer"], "household.update", households["a1"],
                       before={"phone": "13955612345"}, after={"phone": "13955600000"})
    return event


@pytest.fixture
def media(tmp_path):
    """A data folder's uploads: one uploaded workbook and the scratch work of a dry run."""
    root = tmp_path / "data" / "media"
    upload = root / "interop" / "imports" / "2026" / "01" / "监测对象.xlsx"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"PK\x03\x04 workbook bytes")
    work = root / "interop" / "work" / "7" / "rows.parquet"
    work.parent.mkdir(parents=True)
    work.write_bytes(b"scratch")
    beat = root / "jobs" / "3f2a.json"
    beat.parent.mkdir()
    beat.write_text('{"at": 0}', encoding="utf-8")
    return root


def _event_row(con, event_id: int) -> tuple:
    return rows(con, f"SELECT * FROM {EVENTS} WHERE id = ?", (event_id,))[0]


def _restore_events(con) -> list[tuple]:
    return rows(con, f"SELECT actor_name, source, after FROM {EVENTS} WHERE action = 'ops.restore' ORDER BY id")


def _assert_one_restore_recorded(con, backup_path: Path) -> None:
    """R-SEC-02: the restore itself is in the restored database's audit trail: who ran it, from which backup."""
    (recorded,) = _restore_events(con)
    actor_name, source, after = recorded
    after = json.loads(after) if isinstance(after, str) else after
    assert actor_name.startswith("系统运维（") and source == "command"
    assert after["backup"] == backup_path.name and after["created_at"]


def _count(con, table: str) -> int:
    return rows(con, f"SELECT COUNT(*) FROM {table}")[0][0]


def _live_sqlite_file(path: Path) -> dict:
    """The test database copied into a WAL-mode file: a county server's database."""
    db = current_db()
    source = connect(db)
    live = sqlite3.connect(path)
    source.backup(live)
    source.close()
    live.execute("PRAGMA journal_mode=WAL")
    live.close()
    return {**db, "NAME": str(path)}


@only_sqlite
def test_sqlite_backup_while_another_connection_writes_then_restore_into_a_new_data_dir_R_OPS_02_R_SEC_02(trail, media, tmp_path):
    live = _live_sqlite_file(tmp_path / "data" / "fangpin.sqlite3")
    writer = Writer(live, trail.pk)
    writer.start()
    writer.wait_for(20)  # the server is writing ...
    before = writer.inserted
    backup = make_backup(tmp_path / "backups", keep=3, db=live, media_root=media)
    writer.wait_for(20)  # ... and goes on writing after the backup, never blocked by it
    total = writer.finish()
    assert total > before

    manifest = backup.manifest
    assert manifest["database"]["kind"] == "sqlite"
    assert manifest["migrations"]["audit"][0] == "0001_initial"
    copied_events = manifest["counts"][EVENTS]
    # The copy is the database at one instant during the writes: some of them, not all, and whole.
    assert 1 + before <= copied_events < 1 + total
    copy = sqlite3.connect(backup.path / "database.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _count(copy, EVENTS) == copied_events
    assert _count(copy, Household._meta.db_table) == manifest["counts"][Household._meta.db_table] == 4
    copy.close()
    assert manifest["media"]["files"] == 1  # the dry run's scratch and the job heartbeats are left out
    for name, meta in manifest["files"].items():
        assert len(meta["sha256"]) == 64 and (backup.path / name).stat().st_size == meta["bytes"]
    assert oct((backup.path / "database.sqlite3").stat().st_mode & 0o777) == "0o600"

    # Restore into a new, empty data folder.
    new = tmp_path / "restored"
    target = {**live, "NAME": str(new / "fangpin.sqlite3")}
    restored = restore_backup(backup.path, db=target, media_root=new / "media")
    assert restored.counts == manifest["counts"] and restored.pending_migrations == []
    con_live, con_new = connect(live), connect(target)
    assert _event_row(con_new, trail.pk) == _event_row(con_live, trail.pk)
    assert _count(con_new, EVENTS) == copied_events + 1  # the backup's events and the restore's own
    _assert_one_restore_recorded(con_new, backup.path)
    assert _restore_events(con_live) == []
    con_live.close()
    con_new.close()
    assert (new / "media" / "interop" / "imports" / "2026" / "01" / "监测对象.xlsx").read_bytes() == b"PK\x03\x04 workbook bytes"
    assert not (new / "media" / "interop" / "work").exists() and not (new / "media" / "jobs").exists()

    # A second restore over the restored data is refused and changes nothing; --force keeps the old data aside.
    stamp = (new / "fangpin.sqlite3").stat().st_mtime_ns
    with pytest.raises(BackupError, match="不是空的"):
        restore_backup(backup.path, db=target, media_root=new / "media")
    assert (new / "fangpin.sqlite3").stat().st_mtime_ns == stamp
    forced = restore_backup(backup.path, db=target, media_root=new / "media", force=True)
    assert {p.name.split(".replaced-")[0] for p in forced.moved_aside} == {"fangpin.sqlite3", "media"}
    assert all(p.exists() for p in forced.moved_aside)


@only_postgres
def test_postgres_backup_while_another_connection_writes_round_trips_through_pg_dump_and_pg_restore_R_OPS_02(
    trail, media, tmp_path, throwaway_postgres
):
    db = current_db()
    writer = Writer(db, trail.pk)
    writer.start()
    writer.wait_for(20)
    before = writer.inserted
    backup = make_backup(tmp_path / "backups", keep=3, db=db, media_root=media)
    writer.wait_for(20)
    total = writer.finish()

    manifest = backup.manifest
    assert manifest["database"]["kind"] == "postgresql" and (backup.path / "database.pgdump").read_bytes()[:5] == b"PGDMP"
    copied_events = manifest["counts"][EVENTS]
    assert 1 + before <= copied_events < 1 + total  # one snapshot taken while the writer was busy

    restored = restore_backup(backup.path, db=throwaway_postgres, media_root=tmp_path / "restored" / "media")
    # The manifest's figures were read in the snapshot pg_dump used: the restored tables match them exactly.
    assert restored.counts == manifest["counts"] and restored.pending_migrations == []
    con_live, con_new = connect(db), connect(throwaway_postgres)
    assert _event_row(con_new, trail.pk) == _event_row(con_live, trail.pk)
    assert _count(con_new, EVENTS) == copied_events + 1  # the backup's events and the restore's own
    _assert_one_restore_recorded(con_new, backup.path)
    assert _count(con_new, Household._meta.db_table) == 4
    con_live.close()
    con_new.close()
    assert (tmp_path / "restored" / "media" / "interop" / "imports" / "2026" / "01" / "监测对象.xlsx").exists()

    with pytest.raises(BackupError, match="不是空的"):
        restore_backup(backup.path, db=throwaway_postgres, media_root=tmp_path / "elsewhere")
    # --force: the backup's tables are dropped and recreated, in one transaction.
    con_new = connect(throwaway_postgres)
    con_new.cursor().execute(f"DELETE FROM {EVENTS} WHERE id = %s", (trail.pk,))
    con_new.commit()
    restore_backup(backup.path, db=throwaway_postgres, media_root=tmp_path / "elsewhere", force=True)
    assert _event_row(con_new, trail.pk) == _event_row(connect(db), trail.pk)
    con_new.close()


def test_a_damaged_or_foreign_backup_is_refused_before_anything_is_written_R_OPS_02(trail, media, tmp_path):
    backup = make_backup(tmp_path / "backups", keep=0, media_root=media)
    tar = backup.path / "media.tar"
    data = bytearray(tar.read_bytes())
    data[600] ^= 0xFF
    tar.write_bytes(bytes(data))
    target = tmp_path / "new" / "media"
    with pytest.raises(BackupError, match="已损坏"):
        restore_backup(backup.path, db={**current_db(), "NAME": str(tmp_path / "new" / "x.sqlite3")}, media_root=target)
    assert not target.exists() and not (tmp_path / "new" / "x.sqlite3").exists()
    (backup.path / MANIFEST).write_text("{}", encoding="utf-8")
    with pytest.raises(BackupError, match="不是本系统可识别的备份格式"):
        read_manifest(backup.path)


def test_a_backup_from_a_newer_program_is_refused_R_OPS_02(trail, media, tmp_path):
    backup = make_backup(tmp_path / "backups", keep=0, media_root=media)
    manifest = json.loads((backup.path / MANIFEST).read_text(encoding="utf-8"))
    manifest["migrations"]["audit"].append("9999_from_the_future")
    (backup.path / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BackupError, match="请先升级程序"):
        restore_backup(backup.path, db={**current_db(), "NAME": str(tmp_path / "x.sqlite3")}, media_root=tmp_path / "m")


def test_backup_command_keeps_the_newest_n_and_restore_command_fills_an_empty_database_R_OPS_02(
    trail, settings, tmp_path, request
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    out = tmp_path / "backups"
    for _ in range(3):
        call_command("backup", output=str(out), keep=2, stdout=io.StringIO())
    kept = sorted(p.name for p in out.iterdir())
    assert len(kept) == 2 and all(name.startswith("fangpin-") for name in kept)
    newest = out / kept[-1]
    assert read_manifest(newest)["counts"][EVENTS] == Event.objects.count()

    # The restore command, as an operator runs it on a new server: configured by the environment.
    env = machine_env()
    env["FANGPIN_DATA_DIR"] = str(tmp_path / "new-data")
    if current_db()["ENGINE"].endswith("postgresql"):
        target = request.getfixturevalue("throwaway_postgres")
        env["DATABASE_URL"] = f"postgres://{target['USER']}@{target['HOST'] or '127.0.0.1'}:{target['PORT'] or 5432}/{target['NAME']}"
    result = manage("restore", str(newest), env=env)
    assert result.returncode == 0, result.stderr
    assert "各表行数与备份清单一致" in result.stdout
    again = manage("restore", str(newest), env=env)
    assert again.returncode != 0 and "不是空的" in again.stderr and "Traceback" not in again.stderr
