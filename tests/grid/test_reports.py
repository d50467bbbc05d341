"""Grid reports (R-GRID-06): grids over the maximum and under the minimum, households without a grid,
grid workers without a grid — per village, township and county, set-based."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangpin.grid import services
from fangpin.grid.reports import grid_report

from .conftest import fill


def test_the_report_finds_oversized_and_small_grids_and_households_without_a_grid_R_GRID_06(county, households, personas):
    cadre = personas["cadre_a"]
    fill(county["grid_a1"], 74)  # 75: over the hard maximum (70)
    fill(county["grid_a2"], 44)  # 45: over the normal maximum (40)
    fill(county["ga2"], 3, grid=False)  # in the group, no grid
    services.create_worker(cadre, county["va"], {"name": "蔡德明", "phone": "13955610001", "position": "group_worker"})
    report = grid_report(county["va"])
    assert {(g.name, g.households, g.state) for g in report.grids} == {
        ("第一村民小组第一网格", 75, "over_hard"), ("第二村民小组第一网格", 45, "over_max")}
    assert [g.name for g in report.over_hard] == ["第一村民小组第一网格"]
    assert len(report.over_max) == 2 and report.under_min == []
    assert report.without_grid == 3 and report.households == 123
    assert [w.name for w in report.workers_without_grid] == ["蔡德明"]
    assert len(report.grids_without_worker) == 2


def test_the_county_report_breaks_down_by_township_in_a_fixed_number_of_queries_R_GRID_06(county, households, personas):
    fill(county["grid_b1"], 10)
    fill(county["gc1"], 2, grid=False)
    with CaptureQueriesContext(connection) as queries:
        report = grid_report(county["county"])
    assert len(queries) <= 8
    by_code = {a.code: a for a in report.areas}
    t1, t2 = by_code[county["t1"].code], by_code[county["t2"].code]
    assert (t1.grids, t1.households, t1.under_min, t1.without_grid) == (3, 13, 3, 0)
    assert (t2.grids, t2.households, t2.without_grid) == (1, 3, 2)
    assert report.without_grid == 2 and len(report.under_min) == 4
    # The township report breaks down by village.
    villages = {a.name: a for a in grid_report(county["t1"]).areas}
    assert villages["任集村"].households == 11 and villages["蔡桥村"].households == 2
