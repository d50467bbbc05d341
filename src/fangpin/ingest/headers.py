"""Column names as data: header normalisation, an alias table, duplicate headers by position.

A file's header text is compared after NFKC normalisation with all whitespace removed, so
``县（市、区、旗）`` and ``县(市、区、旗)`` are the same header. Each field has one written name and
any number of aliases; the table is data (a mapping), never code. A header that appears twice keeps
both columns: the second is named ``<header>#2`` (and so on) and is matched like any other name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_SPACE = re.compile(r"\s+")


def normalize_header(text) -> str:
    if text is None:
        return ""
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(text)))


def dedupe_headers(raw: Iterable) -> list[str]:
    """Header texts by position; a repeated header becomes ``<header>#2``, ``#3`` …"""
    seen: dict[str, int] = {}
    out = []
    for value in raw:
        text = "" if value is None else str(value).strip()
        norm = normalize_header(text)
        if norm:
            seen[norm] = seen.get(norm, 0) + 1
            if seen[norm] > 1:
                text = f"{text}#{seen[norm]}"
        out.append(text)
    return out


@dataclass
class ColumnMap:
    """Which file column feeds which field."""

    fields: dict[str, int] = field(default_factory=dict)  # field key -> column position
    unknown: list[tuple[int, str]] = field(default_factory=list)  # (position, header)
    same_as: list[tuple[int, str, str]] = field(default_factory=list)  # (position, header, field key) repeated synonyms
    headers: list[str] = field(default_factory=list)

    def header_of(self, key: str) -> str:
        """The header as written in the file, else the field's own name."""
        pos = self.fields.get(key)
        return self.headers[pos] if pos is not None else self.default_header(key)

    def default_header(self, key: str) -> str:
        return key

    def kept_positions(self) -> list[int]:
        """Columns a reader keeps: every known column, including repeated synonyms (compared later)."""
        return sorted(set(self.fields.values()) | {pos for pos, _, _ in self.same_as})


class Aliases:
    """An alias table: field key -> the names a file may give its column.

    ``names`` maps each key to its names, the first being the field's own (written) name. Two keys
    claiming the same normalised name is an error in the table (Chinese message)."""

    def __init__(self, names: Mapping[str, Iterable[str]]):
        self.names = {key: tuple(values) for key, values in names.items()}
        self.index: dict[str, str] = {}
        for key, values in self.names.items():
            for name in values:
                norm = normalize_header(name)
                if norm in self.index and self.index[norm] != key:
                    raise ValueError(f"表头“{name}”同时对应 {self.index[norm]} 和 {key}")
                self.index[norm] = key

    def key_of(self, header) -> str | None:
        return self.index.get(normalize_header(header))

    def header(self, key: str) -> str:
        values = self.names.get(key)
        return values[0] if values else key

    def map_columns(self, headers: list[str], column_map: type[ColumnMap] = ColumnMap) -> ColumnMap:
        result = column_map(headers=list(headers))
        for pos, header in enumerate(headers):
            norm = normalize_header(header)
            if not norm:
                continue
            key = self.index.get(norm)
            if key is None:
                result.unknown.append((pos, header))
            elif key in result.fields:
                result.same_as.append((pos, header, key))
            else:
                result.fields[key] = pos
        return result

    def marks_header(self, values: Iterable, markers: Iterable[str]) -> bool:
        """True when the row holds the name of one of the ``markers`` fields (it is the header row)."""
        keys = {self.index.get(normalize_header(v)) for v in values if v is not None}
        return any(k in keys for k in markers)


def find_header_row(rows: Iterable[list], is_header, scan_rows: int) -> int | None:
    """Index of the first of the top ``scan_rows`` rows that ``is_header`` accepts (title rows above it
    are skipped, however many), else None."""
    for i, row in enumerate(rows):
        if i >= scan_rows:
            break
        if is_header(list(row)):
            return i
    return None
