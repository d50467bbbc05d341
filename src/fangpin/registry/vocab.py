"""Member value lists (R-REG-02a): stored as Term rows, seeded from vocab.json, editable in the admin."""

from __future__ import annotations

import json
from pathlib import Path

VOCAB_FILE = Path(__file__).with_name("vocab.json")
RELATION_ORDER = {v: i for i, v in enumerate(json.loads(VOCAB_FILE.read_text(encoding="utf-8"))["relation"]["values"])}

_cache: dict[str, list[str]] = {}


def definitions() -> dict:
    return json.loads(VOCAB_FILE.read_text(encoding="utf-8"))


def invalidate() -> None:
    _cache.clear()


def values(vocabulary: str) -> list[str]:
    if vocabulary not in _cache:
        from .models import Term

        rows = list(Term.objects.filter(vocabulary=vocabulary, active=True).order_by("position").values_list("value", flat=True))
        _cache[vocabulary] = rows or definitions()[vocabulary]["values"]
    return _cache[vocabulary]


def label(vocabulary: str) -> str:
    return definitions()[vocabulary]["label"]


def is_multi(vocabulary: str) -> bool:
    return bool(definitions()[vocabulary].get("multi"))


def choices(vocabulary: str, blank: bool = True) -> list[tuple[str, str]]:
    out = [("", "—")] if blank else []
    return out + [(v, v) for v in values(vocabulary)]


def seed_terms(term_model) -> int:
    rows = []
    for vocabulary, spec in definitions().items():
        for i, value in enumerate(spec["values"]):
            rows.append(term_model(vocabulary=vocabulary, value=value, position=i))
    term_model.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


TAGS = [
    ("rural_dibao", "农村低保"),
    ("tekun_centralized", "特困供养（集中）"),
    ("tekun_dispersed", "特困供养（分散）"),
    ("severe_disability", "重度残疾"),
    ("serious_illness", "重病大病"),
    ("elderly_alone", "独居老人"),
    ("disabled_care", "失能半失能"),
    ("college_student", "在校大学生"),
    ("relocated", "易地搬迁"),
    ("petition", "涉诉涉访"),
]
