"""Village assistance list (R-AID-06, 000 附件2): who is on it, what each row says, the 附件2 layout,
scoping, and the county export job."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from openpyxl import load_workbook

from fangpin.assistance import village_list
from fangpin.assistance.models import Measure, MeasureStatus
from fangpin.jobs.models import Job, JobState
from tests.factories import household

YEAR = 2026


def _national(h, category, content, items):
    return Measure.objects.create(household=h, category=category, content=content, items=items, source="national")


def _local(h, category, content, *, status=MeasureStatus.IN_PLACE, year=YEAR, carried_out_on=None):
    return Measure.objects.create(household=h, category=category, content=content, source="local", status=status,
                                  year=year, carried_out_on=carried_out_on)


@pytest.fixture
def village(county, households):
    a1, a2 = households["a1"], households["a2"]
    a2.included_on, a2.risk_types = dt.date(2025, 3, 15), ["因病", "因学"]
    a2.save()
    _national(a1, "健康帮扶", "参加城乡居民基本医疗保险,家庭医生签约", ["参加城乡居民基本医疗保险", "家庭医生签约"])
    _national(a1, "教育帮扶", "雨露计划", [])
    _local(a1, "公益岗位帮扶", "护林员")
    _local(a1, "综合保障", "临时救助", year=YEAR - 1)  # another year: not on this year's list
    _local(a1, "产业帮扶", "种植补贴", status=MeasureStatus.PLANNED)  # not received
    _local(a2, "综合保障", "低保", status=MeasureStatus.APPROVED)
    _local(a2, "健康帮扶", "医疗救助", year=None, carried_out_on=dt.date(YEAR, 4, 2))
    grid = county["grid_a1"]
    # A marginal household whose risk was eliminated last year: not on the list.
    old = household(grid, "3406211002010003", "蔡明亮", category="marginal_at_risk", status="eliminated")
    old.eliminated_on = dt.date(YEAR - 1, 11, 30)
    old.save()
    # One eliminated this year: still on it, marked.
    this = household(grid, "3406211002010004", "蔡红梅", category="sudden_hardship", status="eliminated")
    this.eliminated_on, this.included_on = dt.date(YEAR, 2, 28), dt.date(YEAR - 1, 6, 1)
    this.save()
    # An unstable formerly poor household eliminated years ago stays: it is a 脱贫户.
    poor = household(grid, "3406211002010005", "蔡建军", category="unstable_formerly_poor", status="eliminated")
    poor.eliminated_on = dt.date(YEAR - 2, 5, 1)
    poor.save()
    return {"a1": a1, "a2": a2, "old": old, "this": this, "poor": poor, "ordinary": household(
        grid, "3406211002010006", "蔡普通", category="ordinary")}


def test_who_is_on_the_list_R_AID_06(village, county):
    rows = village_list.rows(county["va"].code, YEAR)
    heads = [r.head_name for r in rows]
    assert set(heads) == {"蔡德胜", "蔡永华", "蔡红梅", "蔡建军"} and len(heads) == 4
    # Last year's list still had the marginal household eliminated in November of that year.
    assert "蔡明亮" in {r.head_name for r in village_list.rows(county["va"].code, YEAR - 1)}
    # Another village's households are never on it.
    assert "任建国" not in heads


def test_row_contents_R_AID_06(village, county):
    rows = {r.head_name: r for r in village_list.rows(county["va"].code, YEAR)}
    a1 = rows["蔡德胜"]
    assert a1.size == 3 and a1.household_type == "脱贫户"
    assert a1.measures == "健康帮扶（参加城乡居民基本医疗保险、家庭医生签约）、教育帮扶（雨露计划）、公益岗位帮扶（护林员）"
    a2 = rows["蔡永华"]
    assert a2.household_type == "边缘易致贫户" and a2.included_on == "2025-03-15" and a2.risks == "因病、因学"
    assert "综合保障（低保）" in a2.measures and "健康帮扶（医疗救助）" in a2.measures
    assert rows["蔡红梅"].household_type == "突发严重困难户（风险已消除）"
    assert rows["蔡建军"].household_type.startswith("脱贫不稳定户")


def test_rows_are_set_based_R_AID_06(village, county, django_assert_max_num_queries):
    for i in range(20):
        household(county["grid_a2"], f"34062110020100{50 + i:02d}", f"蔡{i}号", category="formerly_poor")
    with django_assert_max_num_queries(6):
        rows = village_list.rows(county["va"].code, YEAR)
    assert len(rows) == 24


def test_export_in_the_attachment_2_layout_R_AID_06(village, county, personas):
    content = village_list.export_village(personas["cadre_a"], county["va"], YEAR)
    ws = load_workbook(io.BytesIO(content)).active
    values = [tuple(r) for r in ws.iter_rows(values_only=True)]
    assert values[0][0] == "濉溪镇蔡桥村脱贫户和防贫监测对象帮扶清单"
    assert values[1] == ("户主姓名", "家庭人口", "帮扶户类型", "纳入时间", "返贫/致贫风险", "户内享受帮扶措施")
    body = [v for v in values[2:] if v[0]]
    assert body[-1][0].startswith("注：仅统计脱贫户和防贫监测对象当年享受的政策，上年度已消除风险的监测对象（非脱贫户）不再建立帮扶清单。")
    data = body[:-1]
    assert len(data) == 4 and data[0][:3] == ("蔡德胜", 3, "脱贫户")


def test_village_outside_the_area_is_404_R_AID_06(village, county, personas):
    with pytest.raises(Http404):
        village_list.export_village(personas["cadre_b"], county["va"].pk, YEAR)
    with pytest.raises(Http404):
        village_list.village_rows_for(personas["cadre_b"], county["va"].pk, YEAR)
    with pytest.raises(Http404):
        village_list.get_village_for(personas["township_officer"], county["vc"].pk)


def test_roles_and_year_are_checked_R_AID_06(village, county, personas):
    with pytest.raises(PermissionDenied):
        village_list.export_village(personas["department"], county["va"], YEAR)
    with pytest.raises(PermissionDenied):
        village_list.export_village(personas["grid_worker"], county["va"], YEAR)
    with pytest.raises(ValidationError) as exc:
        village_list.export_village(personas["cadre_a"], county["va"], "明年")
    assert "年度" in exc.value.message_dict["year"][0]


def test_county_export_job_one_sheet_per_village_R_AID_06(village, county, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = village_list.start_area_export(personas["county_officer"], county["county"], YEAR)
    assert job.state == JobState.QUEUED and job.scope_code == county["county"].code
    job = village_list.run_area_export(job.pk, attempt=job.attempt)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["villages"] == 3 and job.result["households"] == 5  # 4 in 蔡桥村, 1 in 任集村
    wb = load_workbook(village_list.file_path(job))
    assert wb.sheetnames[0] == "目录" and "濉溪镇蔡桥村" in wb.sheetnames and "濉溪镇任集村" in wb.sheetnames
    assert wb["濉溪镇蔡桥村"]["A1"].value == "濉溪镇蔡桥村脱贫户和防贫监测对象帮扶清单"
    # A repeated task does nothing.
    again = village_list.run_area_export(job.pk, attempt=job.attempt)
    assert again.state == JobState.SUCCEEDED
    assert Job.objects.filter(kind=village_list.JOB_KIND).count() == 1


def test_county_export_refused_for_village_cadres_and_other_counties_R_AID_06(village, county, personas):
    with pytest.raises(PermissionDenied):
        village_list.start_area_export(personas["cadre_a"], county["t1"], YEAR)
    with pytest.raises(Http404):
        village_list.start_area_export(personas["township_officer"], county["t2"], YEAR)
    assert not Job.objects.filter(kind=village_list.JOB_KIND).exists()
