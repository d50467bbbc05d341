"""Member value lists (R-REG-02a): stored as Term rows, seeded from vocab.json, editable in the admin.

The lists are cached per process; the ``vocab`` stamp (:mod:`fangpin.profiles.stamps`) tells every
process when to reload them (R-CFG-04). Edits of value lists and household tags go through
:func:`save_term`, :func:`delete_term`, :func:`save_tag` and :func:`delete_tag`: administrators only,
one audit event per change, nothing written when nothing changed (R-SEC-02).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from fangpin.profiles import stamps

VOCAB_FILE = Path(__file__).with_name("vocab.json")
RELATION_ORDER = {v: i for i, v in enumerate(json.loads(VOCAB_FILE.read_text(encoding="utf-8"))["relation"]["values"])}

_cache: dict[str, list[str]] = {}


def definitions() -> dict:
    return json.loads(VOCAB_FILE.read_text(encoding="utf-8"))


def invalidate() -> None:
    """Empty this process's cache (other processes follow the ``vocab`` stamp)."""
    _cache.clear()


stamps.register(stamps.VOCAB, invalidate)


def values(vocabulary: str) -> list[str]:
    stamps.ensure_fresh()
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


# --- edits (R-SEC-02) -------------------------------------------------------------------------------

TERM_FIELDS = ("vocabulary", "value", "position", "active")
TAG_FIELDS = ("code", "name", "position")


def _require_administrator(actor, what: str) -> None:
    if actor is None:
        return
    if not getattr(actor, "is_authenticated", False) or not (
        getattr(actor, "is_superuser", False) or getattr(actor, "is_administrator", False)
    ):
        raise PermissionDenied(f"只有系统管理员可以修改{what}")


def _clean_text(value, field: str, label: str, max_length: int, errors: dict) -> str:
    value = ("" if value is None else str(value)).replace("\x00", "").strip()
    if not value:
        errors[field] = f"{label}不能为空"
    elif len(value) > max_length:
        errors[field] = f"{label}不能超过{max_length}字"
    return value


def _clean_position(value, errors: dict) -> int:
    try:
        position = int(value)
    except (TypeError, ValueError):
        errors["position"] = f"顺序应为整数，收到“{value}”"
        return 0
    if not 0 <= position <= 32767:
        errors["position"] = "顺序应在0到32767之间"
    return position


def _save(actor, model, pk, values: dict, fields: tuple, action: str):
    """Create or change one row; audit only the fields that changed."""
    from fangpin.audit.services import record

    row = model.objects.select_for_update().filter(pk=pk).first() if pk else None
    if pk and row is None:
        raise ValidationError({"__all__": "要修改的记录已不存在，请刷新后重试"})
    if row is None:
        row = model(**values)
        row.save()
        record(actor, f"{action}.create", row, after={f: getattr(row, f) for f in fields})
        return row, True
    before = {f: getattr(row, f) for f in fields if getattr(row, f) != values[f]}
    if not before:
        return row, False
    for f in before:
        setattr(row, f, values[f])
    row.save(update_fields=list(before))
    record(actor, f"{action}.update", row, before=before, after={f: values[f] for f in before})
    return row, True


@transaction.atomic
def save_term(actor, pk, *, vocabulary: str, value: str, position, active: bool):
    """Add a value to a member value list, or change one (``pk``); returns the row."""
    from .models import Term

    _require_administrator(actor, "字典值")
    errors: dict = {}
    vocabulary = _clean_text(vocabulary, "vocabulary", "值列表", 30, errors)
    if vocabulary and vocabulary not in definitions():
        errors["vocabulary"] = f"没有名为“{vocabulary}”的值列表（可用：{'、'.join(definitions())}）"
    value = _clean_text(value, "value", "取值", 40, errors)
    position = _clean_position(position, errors)
    if not errors and Term.objects.filter(vocabulary=vocabulary, value=value).exclude(pk=pk).exists():
        errors["value"] = f"值列表“{label(vocabulary)}”中已有“{value}”"
    if errors:
        raise ValidationError(errors)
    row, changed = _save(actor, Term, pk, {"vocabulary": vocabulary, "value": value, "position": position,
                                           "active": bool(active)}, TERM_FIELDS, "term")
    if changed:
        stamps.changed(stamps.VOCAB)
    return row


@transaction.atomic
def delete_term(actor, term) -> None:
    from fangpin.audit.services import record

    _require_administrator(actor, "字典值")
    record(actor, "term.delete", term, before={f: getattr(term, f) for f in TERM_FIELDS})
    term.delete()
    stamps.changed(stamps.VOCAB)


@transaction.atomic
def save_tag(actor, pk, *, code: str, name: str, position):
    """Add a household tag, or change one (``pk``); returns the row."""
    from .models import Tag

    _require_administrator(actor, "农户标签")
    errors: dict = {}
    code = _clean_text(code, "code", "代码", 40, errors)
    name = _clean_text(name, "name", "名称", 40, errors)
    position = _clean_position(position, errors)
    if not errors and Tag.objects.filter(code=code).exclude(pk=pk).exists():
        errors["code"] = f"已有代码为“{code}”的标签"
    if errors:
        raise ValidationError(errors)
    row, _ = _save(actor, Tag, pk, {"code": code, "name": name, "position": position}, TAG_FIELDS, "tag")
    return row


@transaction.atomic
def delete_tag(actor, tag) -> None:
    """Remove a tag no household carries (a tag in use is renamed instead: households keep their history)."""
    from fangpin.audit.services import record

    _require_administrator(actor, "农户标签")
    used = tag.households.count()
    if used:
        raise ValidationError({"__all__": f"标签“{tag.name}”已用于{used}户，不能删除；可修改名称或调整顺序"})
    record(actor, "tag.delete", tag, before={f: getattr(tag, f) for f in TAG_FIELDS})
    tag.delete()
