"""The national export's column alias table and layouts, kept as data in ``layouts.json`` (R-INT-01, R-INT-03).

Matching a file's headers against the aliases (NFKC, whitespace removed, duplicate headers kept by
position as ``<header>#2``) is the ingest toolkit's (``fangpin.ingest.headers``); this module holds
what is particular to the national system: its fields, where each is stored, and its five layouts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fangpin.ingest import headers as ingest_headers
from fangpin.ingest.headers import dedupe_headers, normalize_header

__all__ = [
    "FIELDS", "HEADER_MARKERS", "ColumnMap", "Field", "Layout", "aliases", "alias_index", "dedupe_headers",
    "detect_layout", "layouts", "looks_like_header", "map_columns", "normalize_header", "value_aliases",
]

LAYOUTS_FILE = Path(__file__).with_name("layouts.json")

# Fields whose presence marks a header row (the importer looks for one of them).
HEADER_MARKERS = ("household_number", "id_number", "head_id_number")


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


class ColumnMap(ingest_headers.ColumnMap):
    """Which file column feeds which field; a field absent from the file is named by its export header."""

    def default_header(self, key: str) -> str:
        return FIELDS[key].header


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
def aliases() -> ingest_headers.Aliases:
    """The alias table: every field's export header and the other names accepted on import."""
    return ingest_headers.Aliases({f.key: (f.header, *f.aliases) for f in FIELDS.values()})


def alias_index() -> dict[str, str]:
    """Normalised header text -> field key."""
    return aliases().index


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


def map_columns(headers: list[str]) -> ColumnMap:
    return aliases().map_columns(headers, ColumnMap)


def looks_like_header(values: list) -> bool:
    return aliases().marks_header(values, HEADER_MARKERS)


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
