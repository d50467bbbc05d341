"""The column alias table and export layouts, kept as data in ``layouts.json`` (R-INT-01, R-INT-03).

Headers are compared after NFKC normalisation with all whitespace removed, so ``县（市、区、旗）``
and ``县(市、区、旗)`` are the same header. A header that appears twice keeps both columns: the
second one is named ``<header>#2`` (and so on) and is matched against the aliases like any other
name.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

LAYOUTS_FILE = Path(__file__).with_name("layouts.json")
_SPACE = re.compile(r"\s+")

# Fields whose presence marks a header row (the importer looks for one of them).
HEADER_MARKERS = ("household_number", "id_number", "head_id_number")


def normalize_header(text) -> str:
    if text is None:
        return ""
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(text)))


@dataclass(frozen=True)
class Field:
    key: str
    header: str
    aliases: tuple[str, ...]
    store: str
    type: str = "text"

    @property
    def target(self) -> str:
        """The part after the dot of ``store`` (``household.phone`` → ``phone``)."""
        return self.store.split(".", 1)[1] if "." in self.store else ""

    @property
    def scope(self) -> str:
        return self.store.split(".", 1)[0]


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    label: str
    grain: str  # "person" | "household"
    title_rows: int
    columns: tuple[str, ...]

    def field_keys(self) -> list[str]:
        index = alias_index()
        return [index[normalize_header(c)] for c in self.columns]


@dataclass
class ColumnMap:
    """Which file column feeds which field."""

    fields: dict[str, int] = field(default_factory=dict)  # field key -> column position
    unknown: list[tuple[int, str]] = field(default_factory=list)  # (position, header)
    same_as: list[tuple[int, str, str]] = field(default_factory=list)  # (position, header, field key) repeated synonyms
    headers: list[str] = field(default_factory=list)

    def header_of(self, key: str) -> str:
        pos = self.fields.get(key)
        return self.headers[pos] if pos is not None else FIELDS[key].header


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(LAYOUTS_FILE.read_text(encoding="utf-8"))


def _load_fields() -> dict[str, Field]:
    out = {}
    for spec in _data()["fields"]:
        out[spec["key"]] = Field(spec["key"], spec["header"], tuple(spec.get("aliases", ())), spec["store"], spec.get("type", "text"))
    return out


FIELDS: dict[str, Field] = _load_fields()


@lru_cache(maxsize=1)
def alias_index() -> dict[str, str]:
    """Normalised header text -> field key."""
    index: dict[str, str] = {}
    for f in FIELDS.values():
        for name in (f.header, *f.aliases):
            norm = normalize_header(name)
            if norm in index and index[norm] != f.key:
                raise ValueError(f"表头“{name}”同时对应 {index[norm]} 和 {f.key}")
            index[norm] = f.key
    return index


def value_aliases(kind: str) -> dict[str, str]:
    return dict(_data()["values"].get(kind, {}))


@lru_cache(maxsize=1)
def layouts() -> dict[str, Layout]:
    out = {}
    for name, spec in _data()["layouts"].items():
        out[name] = Layout(name, spec["title"], spec["label"], spec["grain"], spec["title_rows"], tuple(spec["columns"]))
        unknown = [c for c in spec["columns"] if normalize_header(c) not in alias_index()]
        if unknown:
            raise ValueError(f"表样 {name} 含未登记的列：{unknown}")
    return out


def dedupe_headers(raw: list) -> list[str]:
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


def map_columns(headers: list[str]) -> ColumnMap:
    index = alias_index()
    result = ColumnMap(headers=list(headers))
    for pos, header in enumerate(headers):
        norm = normalize_header(header)
        if not norm:
            continue
        key = index.get(norm)
        if key is None:
            result.unknown.append((pos, header))
        elif key in result.fields:
            result.same_as.append((pos, header, key))
        else:
            result.fields[key] = pos
    return result


def looks_like_header(values: list) -> bool:
    index = alias_index()
    keys = {index.get(normalize_header(v)) for v in values if v is not None}
    return any(k in keys for k in HEADER_MARKERS)


def detect_layout(field_keys) -> str:
    """The known layout sharing the most columns with the file (informational)."""
    keys = set(field_keys)
    best, best_score = "", 0.0
    for name, layout in layouts().items():
        wanted = set(layout.field_keys())
        if not wanted:
            continue
        score = len(keys & wanted) / len(keys | wanted)
        if score > best_score:
            best, best_score = name, score
    return best
