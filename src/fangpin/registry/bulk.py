"""Set-based loading of many rows (demo county, scale tests).

``BulkWriter`` writes plain tuples straight into a model's table: ``executemany`` on SQLite and
``COPY … FROM STDIN`` on PostgreSQL. No model instances, no signals, no per-row queries, no
simple_history rows — only for data that is generated in bulk, never for user edits (those go
through the service functions and are audited).

Columns the caller does not provide get the field's default (``auto_now``/``auto_now_add``
fields get "now"), so a field added to a model later does not break the loader as long as it has a
default or is nullable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection as default_connection
from django.db import models
from django.utils import timezone


class BulkWriter:
    def __init__(self, model: type[models.Model], columns: Sequence[str], connection=None):
        self.model = model
        self.connection = connection or default_connection
        self.vendor = self.connection.vendor
        opts = model._meta
        fields = {f.attname: f for f in opts.concrete_fields}
        unknown = [c for c in columns if c not in fields]
        if unknown:
            raise ValueError(f"{opts.label} 没有字段 {unknown}")
        self.columns = list(columns)
        now = timezone.now()
        tail_names, tail_values = [], []
        for attname, field in fields.items():
            if attname in self.columns or field.primary_key:
                continue
            tail_names.append(attname)
            tail_values.append(self._default(field, now))
        self.tail = tuple(tail_values)
        self.all_columns = self.columns + tail_names
        # SQLite needs dates, datetimes and decimals in the backend's text form.
        self.converters = []
        if self.vendor != "postgresql":
            ops = self.connection.ops
            for i, name in enumerate(self.columns):
                field = fields[name]
                if isinstance(field, models.DateTimeField):
                    self.converters.append((i, ops.adapt_datetimefield_value))
                elif isinstance(field, models.DateField):
                    self.converters.append((i, ops.adapt_datefield_value))
                elif isinstance(field, models.DecimalField):
                    self.converters.append((i, str))
        quote = self.connection.ops.quote_name
        self.table = quote(opts.db_table)
        self.column_sql = ", ".join(quote(fields[c].column) for c in self.all_columns)

    def _default(self, field, now):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            return None
        elif field.empty_strings_allowed and not isinstance(field, models.DateField | models.DecimalField):
            return ""
        else:
            raise ValueError(f"{self.model._meta.label}.{field.name} 没有默认值，批量写入时必须提供")
        if isinstance(field, models.JSONField):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(field, models.DateTimeField):
            return value if self.vendor == "postgresql" else self.connection.ops.adapt_datetimefield_value(value)
        if isinstance(field, models.DateField) and self.vendor != "postgresql":
            return self.connection.ops.adapt_datefield_value(value)
        return value

    def _rows(self, rows: Iterable[tuple]):
        tail = self.tail
        if not self.converters:
            for row in rows:
                yield (*row, *tail)
            return
        converters = self.converters
        for row in rows:
            row = list(row)
            for i, conv in converters:
                if row[i] is not None:
                    row[i] = conv(row[i])
            row.extend(tail)
            yield row

    def write(self, rows: Iterable[tuple]) -> None:
        """Write rows (tuples in ``columns`` order) inside the caller's transaction."""
        self.connection.ensure_connection()
        if self.vendor == "postgresql":
            with self.connection.connection.cursor() as cur:
                with cur.copy(f"COPY {self.table} ({self.column_sql}) FROM STDIN") as copy:
                    for row in self._rows(rows):
                        copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(self.all_columns))
            sql = f"INSERT INTO {self.table} ({self.column_sql}) VALUES ({marks})"
            with self.connection.cursor() as cur:
                cur.executemany(sql, self._rows(rows))


def reserve_ids(model: type[models.Model], count: int, connection=None) -> list[int]:
    """``count`` new primary keys for rows the caller inserts with explicit ids, in ascending order.

    PostgreSQL: taken from the table's id sequence (``nextval``), so writers of other counties inserting
    at the same time can never get one of them, and the sequence is never moved back. They are unique
    but not always consecutive (other sessions may draw from the sequence meanwhile). SQLite: the next
    ``count`` ids after the highest; the caller's write transaction keeps every other writer out.
    """
    connection = connection or default_connection
    if count <= 0:
        return []
    if connection.vendor == "postgresql":
        opts = model._meta
        with connection.cursor() as cur:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) ORDER BY 1",
                [opts.db_table, opts.pk.column, count],
            )
            return [row[0] for row in cur.fetchall()]
    first = next_id(model, connection)
    return list(range(first, first + count))


def next_id(model: type[models.Model], connection=None) -> int:
    """The first free primary key (the caller holds the write lock for the whole load: only for loading
    a database nobody else writes to, like the demo; imports use ``reserve_ids``)."""
    connection = connection or default_connection
    value = model.objects.using(connection.alias).aggregate(m=models.Max("pk"))["m"]
    return (value or 0) + 1


def lock_for_load(*model_classes, connection=None) -> None:
    """Keep other writers out of these tables until commit (PostgreSQL; SQLite's IMMEDIATE
    transaction already holds the database write lock). Every audited write of every county waits
    meanwhile, so this is only for building a database nobody works in yet (the demo county); an
    import locks its own county instead (``fangpin.areas.locks.county_batch_lock``)."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in model_classes)
    with connection.cursor() as cur:
        cur.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")


def reset_sequences(*model_classes, connection=None) -> None:
    """After rows were written with explicit ids, move the id sequences past them (PostgreSQL)."""
    from django.core.management.color import no_style

    connection = connection or default_connection
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_classes))
    if statements:
        with connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
