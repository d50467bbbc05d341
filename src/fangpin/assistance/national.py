"""The measures the national import stores, classed like the measures of a plan (R-AID-04).

The national system exports one column per measure category; the import keeps one record per
household and category with the original text (``Measure.source = national``). Their kind follows
from the category: industry, employment, public-welfare posts and finance (小额信贷) are
developmental; 综合保障 (低保, 特困, 残疾人补贴, 临时救助) is the safety net; the others (health,
education, housing, water …) are neither. :func:`classify_national` writes kind and status of a
county's national records in one UPDATE with a CASE over the category (no loop over rows).
"""

from __future__ import annotations

from django.db.models import Case, Value, When

from .models import Measure, MeasureKind, MeasureSource, MeasureStatus

NATIONAL_KINDS = {
    "产业帮扶": MeasureKind.DEVELOPMENTAL,
    "就业帮扶": MeasureKind.DEVELOPMENTAL,
    "公益岗位帮扶": MeasureKind.DEVELOPMENTAL,
    "公益性岗位帮扶": MeasureKind.DEVELOPMENTAL,
    "金融帮扶": MeasureKind.DEVELOPMENTAL,
    "综合保障": MeasureKind.SAFETY_NET,
}

# Catalogue policy types (000 附件1 帮扶类型) that are developmental or the safety net by nature; a
# policy's own ``kind`` (set by the county office) takes precedence.
POLICY_TYPE_KINDS = {
    "产业": MeasureKind.DEVELOPMENTAL, "就业": MeasureKind.DEVELOPMENTAL, "公益岗位": MeasureKind.DEVELOPMENTAL,
    "金融": MeasureKind.DEVELOPMENTAL, "技能培训": MeasureKind.DEVELOPMENTAL, "综合保障": MeasureKind.SAFETY_NET,
}


def kind_of_category(category: str) -> str:
    return NATIONAL_KINDS.get((category or "").strip(), MeasureKind.OTHER)


def kind_expression():
    """The kind of a national record, from its category, as a database expression."""
    return Case(*[When(category=c, then=Value(str(k))) for c, k in NATIONAL_KINDS.items()],
                default=Value(str(MeasureKind.OTHER)))


def classify_national(household_ids=None, *, division_prefix: str | None = None, after_pk: int | None = None) -> int:
    """Set kind (and status in place) of national records, set-based. ``after_pk`` limits the update to
    the rows inserted since (an import's new rows: a range of the primary key); ``division_prefix`` to
    one county; ``household_ids`` to given households. Rows already right are not written again."""
    qs = Measure.objects.filter(source=MeasureSource.NATIONAL)
    if after_pk is not None:
        qs = qs.filter(pk__gt=after_pk)
    if division_prefix:
        qs = qs.filter(household__division_code__startswith=division_prefix)
    if household_ids is not None:
        qs = qs.filter(household_id__in=household_ids)
    qs = qs.exclude(status=MeasureStatus.IN_PLACE, kind=kind_expression())
    return qs.update(kind=kind_expression(), status=MeasureStatus.IN_PLACE)
