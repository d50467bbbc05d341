"""Set-based writes for the import: frames inserted in bulk, updates by primary key.

Updates: ``executemany`` of one ``UPDATE … WHERE id = ?`` on SQLite; on PostgreSQL the rows are
copied into a temporary table and applied with one ``UPDATE … FROM``. Django's ``bulk_update``
builds one ``CASE WHEN`` per field and row, which is far too slow for hundreds of thousands of rows.

Inserts (``insert_frame``): ``COPY … FROM STDIN`` on PostgreSQL. On SQLite a large frame goes
through a staging file: the frame is written into its own small SQLite file by the ADBC driver
(Arrow, no Python row objects), and one ``INSERT … SELECT`` copies it inside the caller's
transaction. SQLite only attaches files outside a transaction, so the caller opens ``staging()``
before its transaction; without it (or once its files are used up) rows go through ``executemany``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, models


def _db_value(field: models.Field, value, vendor: str):
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False)
    if vendor != "postgresql":
        ops = connection.ops
        if isinstance(field, models.DateTimeField):
            return ops.adapt_datetimefield_value(value)
        if isinstance(field, models.DateField):
            return ops.adapt_datefield_value(value)
        if isinstance(field, models.DecimalField):
            return str(value)
    return value


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> int:
    """Update ``fields`` of the rows ``(pk, value1, value2, …)``; returns the number of rows."""
    if not rows:
        return 0
    opts = model._meta
    by_name = {f.attname: f for f in opts.concrete_fields}
    by_name.update({f.name: f for f in opts.concrete_fields})
    targets = [by_name[f] for f in fields]
    vendor = connection.vendor
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    prepared = [(pk, *(_db_value(f, v, vendor) for f, v in zip(targets, values, strict=True))) for pk, *values in rows]
    if vendor == "postgresql":
        connection.ensure_connection()
        tmp = quote(f"tmp_update_{opts.db_table}")
        cols = ", ".join(quote(f.column) for f in targets)
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {tmp}")
            cur.execute(f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT id, {cols} FROM {table} LIMIT 0")
            with cur.cursor.copy(f"COPY {tmp} (id, {cols}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
            sets = ", ".join(f"{quote(f.column)} = t.{quote(f.column)}" for f in targets)
            cur.execute(f"UPDATE {table} AS m SET {sets} FROM {tmp} AS t WHERE m.id = t.id")
            cur.execute(f"DROP TABLE {tmp}")
    else:
        sets = ", ".join(f"{quote(f.column)} = %s" for f in targets)
        with connection.cursor() as cur:
            cur.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", [(*values, pk) for pk, *values in prepared])
    return len(prepared)


def update_grouped(model, updates: Sequence[tuple[int, dict]], extra: dict | None = None) -> int:
    """Apply per-row updates ``(pk, {field: value})``, grouping rows that change the same fields."""
    groups: dict[tuple, list] = {}
    for pk, values in updates:
        values = {**values, **(extra or {})}
        key = tuple(sorted(values))
        groups.setdefault(key, []).append((pk, *(values[k] for k in key)))
    total = 0
    for key, rows in groups.items():
        total += update_rows(model, key, rows)
    return total


@contextmanager
def indexes_rebuilt(model: type[models.Model], incoming: int, *, threshold: int = 20_000):
    """For a load larger than the table itself (a county's first import), drop the table's secondary
    indexes, let the caller insert, and create them again: one sort per index instead of millions of
    B-tree inserts. Indexes that back constraints (primary key, unique) stay. On PostgreSQL the table's
    foreign keys are dropped too and added back afterwards, which checks all rows with one join instead
    of one trigger per row, and index builds get more sort memory for the transaction. Inside the
    caller's transaction, so a failure restores everything (SQLite and PostgreSQL have transactional
    DDL); on PostgreSQL this locks the table until commit, which is why it only runs when the table is
    smaller than the load.
    """
    table = model._meta.db_table
    if incoming < threshold or model.objects.count() > incoming:
        yield
        return
    postgres = connection.vendor == "postgresql"
    quote = connection.ops.quote_name
    foreign_keys = []
    with connection.cursor() as cur:
        if postgres:
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE needs no trigger events pending
            cur.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND i.schemaname = current_schema() "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [table],
            )
            saved = cur.fetchall()
            cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'", [table])
            foreign_keys = cur.fetchall()
            for name, _ in foreign_keys:
                cur.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL", [table])
            saved = cur.fetchall()
        for name, _ in saved:
            cur.execute(f"DROP INDEX {quote(name)}")
    yield
    with connection.cursor() as cur:
        if postgres:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # pending foreign-key checks run now; CREATE INDEX needs none pending
        for _, sql in saved:
            cur.execute(sql)
        for name, definition in foreign_keys:
            cur.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        if postgres:
            cur.execute("SET CONSTRAINTS ALL DEFERRED")


STAGING_SLOTS = 6
STAGING_MIN_ROWS = 5_000
_staging = threading.local()


@contextmanager
def staging(folder: Path | str):
    """SQLite: attach empty staging files to the connection for the ``insert_frame`` calls of the
    transaction opened inside this block; they are detached and deleted afterwards. A no-op on
    PostgreSQL and inside an already open transaction."""
    if connection.vendor != "sqlite" or connection.in_atomic_block or getattr(_staging, "slots", None):
        yield
        return
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    connection.ensure_connection()
    slots = []
    try:
        with connection.cursor() as cur:
            for i in range(STAGING_SLOTS):
                path = folder / f"stage_{i}.sqlite3"
                path.unlink(missing_ok=True)
                cur.execute(f"ATTACH DATABASE %s AS stage_{i}", [str(path)])
                slots.append((f"stage_{i}", path))
        _staging.slots = list(slots)
        yield
    finally:
        _staging.slots = None
        with connection.cursor() as cur:
            for name, _ in slots:
                cur.execute(f"DETACH DATABASE {name}")
        for _, path in slots:
            path.unlink(missing_ok=True)


def take_slot(rows: int):
    """A free staging file for a frame of ``rows`` rows, or None (small frame, none attached, all used).
    Call from the thread that owns the database connection."""
    slots = getattr(_staging, "slots", None)
    return slots.pop(0) if slots and rows >= STAGING_MIN_ROWS else None



@dataclass
class Staged:
    """A frame made ready for ``insert`` (database values, default columns added, staged or encoded)."""

    writer: object
    frame: object = None  # rows for executemany (SQLite without a staging file)
    csv: bytes | None = None  # PostgreSQL COPY data
    slot: tuple | None = None  # (attached name, file) holding the rows (SQLite)
    columns: list | None = None

    def insert(self) -> None:
        """Write the rows in the caller's transaction (thread owning the connection)."""
        w = self.writer
        with connection.cursor() as cur:
            if self.csv is not None:
                with cur.cursor.copy(f"COPY {w.table} ({w.column_sql}) FROM STDIN (FORMAT csv)") as copy:
                    copy.write(self.csv)
            elif self.slot is not None:
                # The file was written by another connection after this one cached its (then empty)
                # schema: reading its catalogue first makes SQLite notice the change and reload it.
                cur.execute(f"SELECT count(*) FROM {self.slot[0]}.sqlite_master")
                selected = ", ".join([connection.ops.quote_name(c) for c in self.columns] + ["%s"] * len(w.tail))
                cur.execute(f"INSERT INTO {w.table} ({w.column_sql}) SELECT {selected} FROM {self.slot[0]}.rows ORDER BY rowid", list(w.tail))
            elif self.frame is not None and self.frame.height:
                marks = ", ".join(["%s"] * len(w.all_columns))
                cur.executemany(f"INSERT INTO {w.table} ({w.column_sql}) VALUES ({marks})", self.frame.iter_rows())


def stage_frame(writer, frame, slot=None) -> Staged:
    """Prepare a polars frame (columns in ``writer.columns`` order) for ``Staged.insert``.

    Uses neither the Django connection nor its thread, so it can run beside the writes of other
    tables: on PostgreSQL polars writes the CSV for ``COPY … FROM STDIN``; on SQLite with a staging
    ``slot`` the ADBC driver writes the rows into the slot's file (Arrow, no Python row objects),
    otherwise the rows later go from polars to ``executemany``. Date columns must already be ISO text
    and JSON columns JSON text.
    """
    import polars as pl

    names = [f"_c{i}" for i in range(frame.width)]
    full = frame.rename(dict(zip(frame.columns, names, strict=True)))
    if writer.vendor == "sqlite" and slot is not None:
        _ingest(full, slot)
        return Staged(writer, slot=slot, columns=names)
    full = full.with_columns([pl.lit(value).alias(f"_t{i}") for i, value in enumerate(writer.tail)])
    if writer.vendor != "postgresql":
        return Staged(writer, frame=full)
    data = full.write_csv(include_header=False, quote_style="non_numeric", null_value="", datetime_format="%Y-%m-%dT%H:%M:%S%.f%z")
    return Staged(writer, csv=data.encode("utf-8"))


def insert_frame(model: type[models.Model], columns: Sequence[str], frame) -> None:
    """Insert a polars frame in the caller's thread and transaction (``stage_frame`` + ``insert``)."""
    from fangpin.registry.bulk import BulkWriter

    stage_frame(BulkWriter(model, columns), frame, take_slot(frame.height)).insert()


def _ingest(frame, slot) -> None:
    """Write the frame into the slot's staging file through the ADBC driver."""
    import adbc_driver_sqlite.dbapi as adbc
    import polars as pl

    # Arrow types the driver stores as SQLite values: untyped nulls as text, booleans as 0/1.
    frame = frame.with_columns(
        [pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t == pl.Null]
        + [pl.col(c).cast(pl.Int8) for c, t in frame.schema.items() if t == pl.Boolean]
    )
    with adbc.connect(str(slot[1])) as conn:
        with conn.cursor() as cur:
            # The import's own connection may briefly read this file's (empty) catalogue meanwhile.
            cur.execute("PRAGMA busy_timeout = 20000")
            cur.fetchall()
            cur.adbc_ingest("rows", frame.to_arrow(), mode="create")
        conn.commit()
