"""The measures of the national import are measures of the same kind as a plan's (R-AID-04): one
model, classed by category on import, set-based; the developmental review counts them (R-AID-07)."""

from __future__ import annotations

import pytest

from fangpin.assistance import national, plans
from fangpin.assistance.models import Measure, MeasureKind, MeasureSource, MeasureStatus
from fangpin.interop.models import ImportStatus
from fangpin.registry.models import Household
from tests.assistance.test_plans import DAY
from tests.interop.conftest import _private_media_root, family, xlsx  # noqa: F401 (fixtures)
from tests.interop.test_import import _apply, _check, _monitored


def test_import_classes_national_measures_by_category_with_their_original_text_R_AID_04(county, personas, xlsx,  # noqa: F811
                                                                                         family):  # noqa: F811
    rows = _monitored(family(), **{"产业帮扶": "发展种植业,发展养殖业", "公益岗位帮扶": "乡村保洁员"})
    job = _check(county, xlsx(rows), personas["county_officer"])
    assert job.status == ImportStatus.CHECKED, job.error
    job = _apply(job, personas["county_officer"])
    assert job.status == ImportStatus.APPLIED, job.error
    h = Household.objects.get(number="3406211002019001")
    got = {m.category: (m.kind, m.status, m.content, m.source)
           for m in Measure.objects.filter(household=h)}
    assert got == {
        "产业帮扶": (MeasureKind.DEVELOPMENTAL, MeasureStatus.IN_PLACE, "发展种植业,发展养殖业", MeasureSource.NATIONAL),
        "公益岗位帮扶": (MeasureKind.DEVELOPMENTAL, MeasureStatus.IN_PLACE, "乡村保洁员", MeasureSource.NATIONAL),
        "综合保障": (MeasureKind.SAFETY_NET, MeasureStatus.IN_PLACE, "低保", MeasureSource.NATIONAL),
        "健康帮扶": (MeasureKind.OTHER, MeasureStatus.IN_PLACE, "参加城乡居民基本医疗保险个人缴费补贴,其他",
                 MeasureSource.NATIONAL),
    }
    # Filed on a later day, the household's developmental review finds the imported measures.
    plan = plans.on_household_filed(personas["county_officer"], h, DAY)
    plans.mark_developmental(personas["county_officer"], plan, found=True, today=DAY)
    plan.refresh_from_db()
    assert plan.developmental_marked


def test_classify_is_one_update_and_writes_only_rows_that_need_it_R_AID_04(households, django_assert_num_queries):
    h = households["a1"]
    rows = [Measure.objects.create(household=h, category=c, content="原文", source=MeasureSource.NATIONAL)
            for c in ("就业帮扶", "金融帮扶", "综合保障", "教育帮扶")]
    local = Measure.objects.create(household=h, category="就业帮扶", content="本地", source=MeasureSource.LOCAL,
                                   status=MeasureStatus.PLANNED)
    with django_assert_num_queries(1):
        assert national.classify_national(after_pk=rows[0].pk - 1) == 3
    kinds = dict(Measure.objects.filter(source=MeasureSource.NATIONAL).values_list("category", "kind"))
    assert kinds == {"就业帮扶": "developmental", "金融帮扶": "developmental", "综合保障": "safety_net", "教育帮扶": "other"}
    local.refresh_from_db()
    assert (local.kind, local.status) == (MeasureKind.OTHER, MeasureStatus.PLANNED)
    assert national.classify_national() == 0


@pytest.mark.parametrize(("category", "kind"), [("产业帮扶", "developmental"), ("公益性岗位帮扶", "developmental"),
                                                ("综合保障", "safety_net"), ("住房安全保障", "other"), ("", "other")])
def test_kind_of_each_national_category_R_AID_04(category, kind):
    assert national.kind_of_category(category) == kind
