"""Prefix filtering that uses an index on both SQLite and PostgreSQL.

SQLite does not use an index for ``LIKE 'x%' ESCAPE '\\'`` (Django's ``startswith``), so on SQLite a
prefix becomes a half-open range ``x <= col < succ(x)``; PostgreSQL keeps ``LIKE`` (Django creates
a ``*_like`` pattern-ops index for indexed CharFields).
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
            return f"{lhs} LIKE %s", [*lhs_params, escaped + "%"]
        return f"({lhs} >= %s AND {lhs} < %s)", [*lhs_params, value, *lhs_params, successor(value)]


def prefix_q(field: str, prefix: str) -> Q:
    if not prefix:
        return Q()
    return Q(**{f"{field}__prefix": prefix})
