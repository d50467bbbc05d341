"""Consistent online backups and their restore (R-OPS-02).

A backup is one folder ``fangpin-YYYYMMDD-HHMMSS`` holding

- ``database.sqlite3`` (SQLite: copied through SQLite's online backup API in one step, i.e. inside one
  read snapshot, while the server and the worker keep writing — WAL readers do not block writers) or
  ``database.pgdump`` (PostgreSQL: ``pg_dump -Fc`` run inside a snapshot exported by a REPEATABLE READ
  transaction, the same snapshot the manifest's figures are read in);
- ``media.tar``: uploads and generated files (``MEDIA_ROOT``) except scratch (``MEDIA_EXCLUDED``: the
  import work folders, job heartbeat files). The database is copied first, so
  every file a copied row names is already on disk when the folder is archived;
- ``manifest.json``: when, which database kind, the applied migrations, the row count of every table of
  the copy, the newest audit event, and the SHA-256 and size of each file.

The folder is written under a hidden name and renamed when complete: a folder named ``fangpin-…`` is
always whole. A restore checks the hashes first, writes into an empty database and data folder only
(``force`` moves what is there aside, never deletes it) and compares every table's row count with the
manifest afterwards. Messages are Chinese: operators read them on the console and in the journal.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.utils import load_backend
from django.utils import timezone

log = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA_FILE = "media.tar"
NAME_PREFIX = "fangpin-"
# Scratch, not data: the checked rows of import dry runs (an officer gets them back with 重新预检) and the
# heartbeat files of running jobs (rewritten every few seconds; a restored job is judged by its database row).
MEDIA_EXCLUDED = ("interop/work", "jobs")
PARTIAL_MAX_AGE = 24 * 3600  # a half-written backup this old was left by a crash: removed by the next run


class BackupError(Exception):
    """A backup or restore was not made; the Chinese message says why and what to do. Nothing was
    changed in the database or the data folder."""


@dataclass
class Backup:
    path: Path
    manifest: dict
    removed: list[Path] = field(default_factory=list)


@dataclass
class Restored:
    manifest: dict
    counts: dict[str, int]
    moved_aside: list[Path]
    pending_migrations: list[str]


# --- small helpers -------------------------------------------------------------------------------


def default_database() -> dict:
    return dict(connections["default"].settings_dict)


def database_kind(db: dict) -> str:
    engine = db["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"不支持备份这种数据库：{engine}（只支持 SQLite 和 PostgreSQL）")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _model_tables() -> list[str]:
    """Every table the application's models (and their many-to-many tables) are stored in."""
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            tables.add(meta.db_table)
    return sorted(tables)


def _event_table() -> str:
    return apps.get_model("audit", "Event")._meta.db_table


def _facts(cursor, existing: set[str], quote) -> dict:
    """Applied migrations, row counts and the newest audit event, read through ``cursor``."""
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in existing:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    counts = {}
    for table in _model_tables():
        if table in existing:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
            counts[table] = cursor.fetchone()[0]
    last_event = None
    events = _event_table()
    if events in existing:
        cursor.execute(f"SELECT id, at, action FROM {quote(events)} ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        if row:
            last_event = {"id": row[0], "at": str(row[1]), "action": row[2]}
    return {"migrations": migrations, "counts": counts, "last_audit_event": last_event}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _private(path: Path) -> None:
    """Backups hold personal data: readable by the service user only."""
    os.chmod(path, 0o700 if path.is_dir() else 0o600)


# --- SQLite -----------------------------------------------------------------------------------------


def _sqlite_path(db: dict) -> str:
    return str(db["NAME"])


def _sqlite_connect(name: str, db: dict) -> sqlite3.Connection:
    timeout = float((db.get("OPTIONS") or {}).get("timeout", 20))
    return sqlite3.connect(name, uri=name.startswith("file:"), timeout=timeout)


def _sqlite_facts(con: sqlite3.Connection) -> dict:
    existing = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return _facts(con.cursor(), existing, _quote)


def _backup_sqlite(db: dict, target: Path) -> dict:
    source = _sqlite_connect(_sqlite_path(db), db)
    try:
        copy = sqlite3.connect(target)
        try:
            # pages=-1: the whole database in one step, within one read snapshot of the source.
            source.backup(copy, pages=-1)
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise BackupError(f"复制 SQLite 数据库失败：{exc}") from exc
    finally:
        source.close()
    con = sqlite3.connect(target)
    try:
        con.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        check = con.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"备份副本未通过 SQLite 完整性检查：{check}")
        facts = _sqlite_facts(con)
        facts["database"] = {"kind": "sqlite", "file": SQLITE_FILE, "sqlite_version": sqlite3.sqlite_version}
        return facts
    finally:
        con.close()


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
    finally:
        con.close()


def _restore_sqlite(db: dict, backup: Path, *, force: bool, stamp: str) -> list[Path]:
    name = _sqlite_path(db)
    if name.startswith("file:") or name == ":memory:":
        raise BackupError("配置的是内存数据库，不能恢复到其中；请设置 FANGPIN_DATA_DIR 或 DATABASE_URL 指向数据库文件")
    target = Path(name)
    moved = []
    siblings = [target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")]
    if not _sqlite_is_empty(target):
        if not force:
            raise BackupError(f"数据库文件不是空的：{target}。恢复会覆盖其中的数据；确认要覆盖时加 --force（原文件会改名保留）")
        for path in siblings:
            if path.exists():
                aside = path.with_name(f"{path.name}.replaced-{stamp}")
                path.rename(aside)
                moved.append(aside)
    else:
        for path in siblings:
            path.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(backup / SQLITE_FILE, partial)
    with open(partial, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, target)
    return moved


def _sqlite_restored_facts(db: dict) -> dict:
    con = sqlite3.connect(_sqlite_path(db))
    try:
        return _sqlite_facts(con)
    finally:
        con.close()


# --- PostgreSQL -------------------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    bindir = os.environ.get("FANGPIN_PG_BINDIR")
    path = str(Path(bindir) / name) if bindir else shutil.which(name)
    if not path or not Path(path).exists():
        raise BackupError(f"找不到 {name}：请安装 postgresql-client（主版本不低于数据库服务器），或用 FANGPIN_PG_BINDIR 指明其目录")
    return path


def _pg_env(db: dict) -> dict:
    """libpq settings for pg_dump/pg_restore from the Django settings: the password travels in the
    environment (PGPASSWORD), never on the command line where other users could read it."""
    env = dict(os.environ)
    values = {
        "PGHOST": db.get("HOST"), "PGPORT": db.get("PORT"), "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"), "PGDATABASE": db.get("NAME"),
    }
    options = db.get("OPTIONS") or {}
    for option, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT"),
                        ("sslkey", "PGSSLKEY"), ("passfile", "PGPASSFILE"), ("service", "PGSERVICE")):
        values[var] = options.get(option)
    env.update({k: str(v) for k, v in values.items() if v not in (None, "")})
    return env


def _pg_wrapper(db: dict):
    """A private Django connection to ``db`` (not one of the request connections)."""
    backend = load_backend(db["ENGINE"])
    return backend.DatabaseWrapper(dict(db), "fangpin_ops")


def _run(cmd: list[str], env: dict, what: str) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{what}失败（退出码 {result.returncode}）：{' '.join(detail[-3:])}")


def _backup_postgres(db: dict, target: Path) -> dict:
    pg_dump = _pg_tool("pg_dump")
    wrapper = _pg_wrapper(db)
    try:
        wrapper.ensure_connection()
        wrapper.set_autocommit(False)
        with wrapper.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            existing = set(wrapper.introspection.table_names(cursor))
            facts = _facts(cursor, existing, wrapper.ops.quote_name)
            # While this transaction stays open, pg_dump sees exactly what the figures above were read from.
            _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={target}"],
                 _pg_env(db), "pg_dump 导出数据库")
        wrapper.rollback()
    finally:
        wrapper.close()
    facts["database"] = {"kind": "postgresql", "file": PG_FILE, "name": db.get("NAME"), "server_version": server_version}
    return facts


def _pg_table_names(db: dict) -> set[str]:
    wrapper = _pg_wrapper(db)
    try:
        with wrapper.cursor() as cursor:
            return set(wrapper.introspection.table_names(cursor))
    finally:
        wrapper.close()


def _restore_postgres(db: dict, backup: Path, *, force: bool) -> list[Path]:
    pg_restore = _pg_tool("pg_restore")
    if _pg_table_names(db) and not force:
        raise BackupError(
            f"数据库 {db.get('NAME')} 不是空的。恢复会覆盖其中的数据；确认要覆盖时加 --force（会先删除备份中有的表再重建）"
        )
    cmd = [pg_restore, "--no-password", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction"]
    if force:
        cmd += ["--clean", "--if-exists"]
    cmd += [f"--dbname={db.get('NAME')}", str(backup / PG_FILE)]
    _run(cmd, _pg_env(db), "pg_restore 恢复数据库")
    return []


def _pg_restored_facts(db: dict) -> dict:
    wrapper = _pg_wrapper(db)
    try:
        with wrapper.cursor() as cursor:
            return _facts(cursor, set(wrapper.introspection.table_names(cursor)), wrapper.ops.quote_name)
    finally:
        wrapper.close()


# --- media ------------------------------------------------------------------------------------------


def _excluded(relative: str) -> bool:
    return any(relative == ex or relative.startswith(ex + "/") for ex in MEDIA_EXCLUDED)


def _tar_media(media_root: Path, target: Path) -> dict:
    files = size = 0
    with tarfile.open(target, "w") as tar:
        top = tarfile.TarInfo("media")
        top.type, top.mode, top.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
        tar.addfile(top)
        if media_root.is_dir():
            for folder, dirs, names in os.walk(media_root):
                rel_folder = Path(folder).relative_to(media_root).as_posix()
                rel_folder = "" if rel_folder == "." else rel_folder
                dirs[:] = sorted(d for d in dirs if not _excluded(f"{rel_folder}/{d}".lstrip("/")))
                for name in dirs:
                    tar.addfile(tar.gettarinfo(os.path.join(folder, name), arcname=f"media/{rel_folder}/{name}".replace("//", "/")))
                for name in sorted(names):
                    path, arcname = os.path.join(folder, name), f"media/{rel_folder}/{name}".replace("//", "/")
                    try:
                        if os.path.islink(path):
                            tar.addfile(tar.gettarinfo(path, arcname=arcname))
                            continue
                        with open(path, "rb") as fh:
                            # Size and mode of the file opened, not of the path: a file replaced meanwhile
                            # (written to a temporary name, then renamed over) is archived whole, as it was.
                            info = tar.gettarinfo(arcname=arcname, fileobj=fh)
                            if not info.isreg():
                                continue
                            tar.addfile(info, fh)
                        files += 1
                        size += info.size
                    except FileNotFoundError:  # removed while the folder was archived
                        continue
    return {"files": files, "bytes": size, "excluded": list(MEDIA_EXCLUDED)}


def _media_is_empty(media_root: Path) -> bool:
    return not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def _restore_media(media_root: Path, backup: Path, *, force: bool, stamp: str) -> list[Path]:
    moved = []
    if not _media_is_empty(media_root):
        if not force:
            raise BackupError(f"上传文件目录不是空的：{media_root}。确认要覆盖时加 --force（原目录会改名保留）")
        aside = media_root.with_name(f"{media_root.name}.replaced-{stamp}")
        media_root.rename(aside)
        moved.append(aside)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    scratch = media_root.with_name(f".{media_root.name}.restoring")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    with tarfile.open(backup / MEDIA_FILE) as tar:
        tar.extractall(scratch, filter="data")  # refuses absolute paths, "..", devices and links out of the folder
    if media_root.exists():
        shutil.rmtree(media_root)  # empty (checked above): only empty folders
    (scratch / "media").rename(media_root)
    scratch.rmdir()
    return moved


# --- backup -----------------------------------------------------------------------------------------


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fangpin")
    except PackageNotFoundError:
        return "unknown"


def _new_folder(output: Path) -> tuple[str, Path]:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name, n = f"{NAME_PREFIX}{stamp}", 1
    while (output / name).exists() or (output / f".{name}.partial").exists():
        n += 1
        name = f"{NAME_PREFIX}{stamp}-{n}"
    partial = output / f".{name}.partial"
    partial.mkdir()
    _private(partial)
    return name, partial


def make_backup(output: Path | str | None = None, *, keep: int | None = None, db: dict | None = None,
                media_root: Path | str | None = None) -> Backup:
    """Back up the database and the media folder into a new folder under ``output`` (default
    ``FANGPIN_BACKUP_DIR``); then keep only the newest ``keep`` backups there (0: keep all)."""
    output = Path(output or settings.FANGPIN_BACKUP_DIR)
    keep = settings.FANGPIN_BACKUP_KEEP if keep is None else keep
    db = db or default_database()
    media_root = Path(media_root or settings.MEDIA_ROOT)
    kind = database_kind(db)
    output.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    name, partial = _new_folder(output)
    try:
        if kind == "sqlite":
            facts = _backup_sqlite(db, partial / SQLITE_FILE)
        else:
            facts = _backup_postgres(db, partial / PG_FILE)
        media = _tar_media(media_root, partial / MEDIA_FILE)
        files = {}
        for path in sorted(partial.iterdir()):
            _private(path)
            files[path.name] = {"sha256": _sha256(path), "bytes": path.stat().st_size}
        manifest = {
            "format": FORMAT,
            "product": "fangpin",
            "version": _version(),
            "name": name,
            "created_at": timezone.localtime().isoformat(timespec="seconds"),
            "seconds": round(time.monotonic() - started, 1),
            "database": facts["database"],
            "migrations": facts["migrations"],
            "counts": facts["counts"],
            "last_audit_event": facts["last_audit_event"],
            "media": media,
            "files": files,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _private(partial / MANIFEST)
        final = output / name
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    log.info("backup %s written (%s, %s tables, %s media files)", final, kind, len(manifest["counts"]), media["files"])
    return Backup(final, manifest, prune(output, keep))


def backups_in(output: Path) -> list[Path]:
    """Complete backups in ``output``, oldest first (names sort by time)."""
    if not output.is_dir():
        return []
    return sorted(p for p in output.iterdir() if p.is_dir() and p.name.startswith(NAME_PREFIX) and (p / MANIFEST).is_file())


def prune(output: Path, keep: int) -> list[Path]:
    removed = []
    now = time.time()
    for stale in output.glob(f".{NAME_PREFIX}*.partial"):
        if now - stale.stat().st_mtime > PARTIAL_MAX_AGE:
            shutil.rmtree(stale, ignore_errors=True)
            removed.append(stale)
    if keep and keep > 0:
        for old in backups_in(output)[:-keep]:
            shutil.rmtree(old)
            removed.append(old)
    return removed


# --- restore ----------------------------------------------------------------------------------------


def read_manifest(backup: Path) -> dict:
    """The manifest of a complete, unaltered backup, or BackupError."""
    path = backup / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{backup} 不是完整的备份（清单 {MANIFEST} 无法读取）") from exc
    if manifest.get("product") != "fangpin" or manifest.get("format") != FORMAT:
        raise BackupError(f"{backup} 不是本系统可识别的备份格式")
    for name, expected in manifest["files"].items():
        file = backup / name
        if not file.is_file():
            raise BackupError(f"备份缺少文件 {name}")
        if file.stat().st_size != expected["bytes"] or _sha256(file) != expected["sha256"]:
            raise BackupError(f"备份文件 {name} 已损坏或被改动（SHA-256 与清单不符），不能用于恢复")
    return manifest


def _unknown_migrations(manifest: dict) -> list[str]:
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return [f"{app}.{name}" for app, names in manifest["migrations"].items() for name in names if (app, name) not in known]


def _pending_migrations(applied: dict[str, list[str]]) -> list[str]:
    """Migrations of this program not applied in a restored database (a backup made by an older version)."""
    from django.db.migrations.loader import MigrationLoader

    done = {(app, name) for app, names in applied.items() for name in names}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    pending = []
    for key in sorted(loader.graph.nodes):
        replaced = loader.replacements.get(key)
        if key in done or (replaced and all(r in done for r in replaced.replaces)):
            continue
        pending.append(f"{key[0]}.{key[1]}")
    return pending


RESTORE_ACTION = "ops.restore"


def _record_restore(db: dict, backup: Path, manifest: dict, pending: list[str]) -> None:
    """The restore is a change like any other (R-SEC-02): one audit event in the restored database naming
    who ran it (the operating-system account running the command), from which backup and what it held.
    Written after the row counts were checked against the manifest. Skipped, with a log line, when the
    restored database's audit table is older than this program (its migrations are still to run)."""
    from fangpin.audit.models import Event

    if any(m.startswith("audit.") for m in pending):
        log.warning("restore of %s not recorded in the audit trail: audit migrations pending", backup)
        return
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    after = {"backup": backup.name, "created_at": manifest["created_at"], "kind": manifest["database"]["kind"],
             "tables": len(manifest["counts"]), "media_files": manifest["media"]["files"]}
    wrapper = _pg_wrapper(db)
    try:
        quote = wrapper.ops.quote_name
        json_param = "CAST(%s AS jsonb)" if wrapper.vendor == "postgresql" else "%s"
        columns = ["at", "actor_id", "actor_name", "actor_role", "action", "object_type", "object_id", "object_repr",
                   "household_id", "division_code", "before", "after", "source", "source_ref"]
        values = [wrapper.ops.adapt_datetimefield_value(timezone.now()), None, f"系统运维（{who}）"[:60], "", RESTORE_ACTION, "Backup", backup.name[:40],
                  f"备份 {manifest['created_at']}"[:200], None, "", None, json.dumps(after, ensure_ascii=False),
                  "command", f"restore {backup}"[:300]]
        placeholders = ["%s"] * 10 + ["NULL", json_param, "%s", "%s"]
        del values[10]
        with wrapper.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(Event._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
                f"VALUES ({', '.join(placeholders)})", values)
    finally:
        wrapper.close()


def restore_backup(backup: Path | str, *, force: bool = False, db: dict | None = None,
                   media_root: Path | str | None = None) -> Restored:
    """Restore ``backup`` into the database ``db`` (default: the configured one) and ``media_root``.

    Both must be empty unless ``force``; with ``force`` the SQLite file and the media folder are moved
    aside (``*.replaced-<time>``), PostgreSQL tables of the backup are dropped and recreated. The web
    server and the worker must be stopped. Every table's row count is compared with the manifest.
    """
    backup = Path(backup)
    db = db or default_database()
    media_root = Path(media_root or settings.MEDIA_ROOT)
    manifest = read_manifest(backup)
    kind = database_kind(db)
    if manifest["database"]["kind"] != kind:
        raise BackupError(
            f"这份备份来自 {manifest['database']['kind']} 数据库，当前配置的是 {kind}：只能恢复到同类数据库"
        )
    unknown = _unknown_migrations(manifest)
    if unknown:
        raise BackupError(f"这份备份由更新版本的程序生成（本程序没有迁移 {', '.join(unknown[:5])}）：请先升级程序再恢复")
    if not force:  # refuse before writing anything, whichever of the two is not empty
        problems = []
        if kind == "sqlite" and not _sqlite_is_empty(Path(_sqlite_path(db))):
            problems.append(f"数据库文件 {_sqlite_path(db)}")
        if kind == "postgresql" and _pg_table_names(db):
            problems.append(f"数据库 {db.get('NAME')}")
        if not _media_is_empty(media_root):
            problems.append(f"上传文件目录 {media_root}")
        if problems:
            raise BackupError(f"{'、'.join(problems)} 不是空的。恢复会覆盖其中的数据；确认要覆盖时加 --force（原文件会改名保留）")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    connections.close_all()
    if kind == "sqlite":
        moved = _restore_sqlite(db, backup, force=force, stamp=stamp)
        facts = _sqlite_restored_facts(db)
    else:
        moved = _restore_postgres(db, backup, force=force)
        facts = _pg_restored_facts(db)
    moved += _restore_media(media_root, backup, force=force, stamp=stamp)
    differ = [
        f"{table}（备份 {n} 行，恢复后 {facts['counts'].get(table)} 行）"
        for table, n in manifest["counts"].items() if facts["counts"].get(table) != n
    ]
    if differ:
        raise BackupError(f"恢复后的数据与备份清单不符：{'；'.join(differ[:5])}")
    pending = _pending_migrations(facts["migrations"])
    _record_restore(db, backup, manifest, pending)
    log.warning("restored backup %s (%s) into %s", backup, manifest["created_at"], db.get("NAME"))
    return Restored(manifest, facts["counts"], moved, pending)
