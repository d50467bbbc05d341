"""Prefix filtering that uses an index on both SQLite and PostgreSQL.

SQLite does not use an index for ``LIKE 'x%' ESCAPE '\\'`` (Django's ``startswith``), so on SQLite a
prefix becomes a half-open range ``x <= col < succ(x)``; PostgreSQL keeps ``LIKE`` (Django creates
a ``*_like`` pattern-ops index for indexed CharFields).

On PostgreSQL a ``LIKE`` prefix bounds only a pattern-ops index; an ordinary btree index (such as
``(division_code, number)``, which also serves the list's ORDER BY) is then walked from its start
unless the database collation is exactly "C". For a prefix of ASCII digits (division codes, ID and
household numbers) the range is added next to ``LIKE``: digit strings sort the same in every
collation, so the range is exact and lets any btree index on the column bound the scan.
"""

from django.db.models import CharField, Lookup, Q


def successor(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix`` (code-point order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@CharField.register_lookup
class Prefix(Lookup):
    lookup_name = "prefix"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        value = self.rhs
        if connection.vendor == "postgresql":
            escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like, like_params = f"{lhs} LIKE %s", [*lhs_params, escaped + "%"]
            if value.isascii() and value.isdigit():
                return (
                    f"({lhs} >= %s AND {lhs} < %s AND {like})",
                    [*lhs_params, value, *lhs_params, successor(value), *like_params],
                )
            return like, like_params
        return f"({lhs} >= %s AND {lhs} < %s)", [*lhs_params, value, *lhs_params, successor(value)]


def prefix_q(field: str, prefix: str) -> Q:
    if not prefix:
        return Q()
    return Q(**{f"{field}__prefix": prefix})
