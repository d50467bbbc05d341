"""The demo county ships visits, a sweep in progress and department screenings, so the grid worker has an
overdue must-visit list on first login (R-DISC-05, R-DISC-06, R-DISC-07)."""

import datetime as dt

from fangpin.accounts.models import User
from fangpin.followup.models import DepartmentScreening, MustVisitEntry, MustVisitRun, Sweep, Visit
from fangpin.followup.selectors import coverage, must_visits_for, not_reported, overdue_cutoff
from fangpin.registry.demo import build_demo

AS_OF = dt.date(2026, 6, 30)


def test_demo_county_has_visits_lists_a_sweep_and_screenings_R_DISC_05(db):
    build_demo("suixi", 1200, 7, as_of=AS_OF)
    households = 1200
    visits = Visit.objects.count()
    assert households * 0.8 < visits < households * 1.6
    assert Visit.objects.filter(risk_found=True).exists()
    run = MustVisitRun.objects.get()
    assert run.as_of == AS_OF and 0.2 * households < run.households == MustVisitEntry.objects.count() < households
    grid = User.objects.get(username="grid")
    mine = must_visits_for(grid)
    cutoff = overdue_cutoff(grid, AS_OF)
    assert mine.exists() and must_visits_for(grid, overdue_before=cutoff).exists()
    assert mine.exclude(last_visited_on__isnull=True).exists()  # some visited, some never
    sweep = Sweep.objects.get(status="open")
    county = User.objects.get(username="county")
    cover = coverage(sweep, county, "340621")
    assert 0 < cover["visited"] < cover["total"] == households
    shares = [r["visited"] / r["total"] for r in cover["rows"]]
    assert shares[0] > shares[-1]  # the first township is further along than the last
    assert DepartmentScreening.objects.filter(year=2026, quarter=2).exists()
    assert 0 < len(not_reported("340621", 2026, 2)) < 9
