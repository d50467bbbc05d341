"""The demo county's grid people (R-GRID-01, R-GRID-03): a worker in every grid, village-level workers
pairing every grid, working groups per township and for the county, the demo grid account as its grid's worker."""

from __future__ import annotations

import datetime as dt

from fangpin.accounts.models import User
from fangpin.areas.models import Division, GridPairing, GridWorker, Level, WorkingGroup
from fangpin.grid.reports import grid_report
from fangpin.registry.demo import build_demo
from fangpin.validation import PHONE_RE


def test_the_demo_county_has_grid_workers_pairings_and_working_groups_R_GRID_03():
    result = build_demo("suixi", 1500, 7, as_of=dt.date(2026, 5, 11), analyze=False)
    county = result.county
    grids = Division.objects.within(county.code).filter(level=Level.GRID)
    group_workers = GridWorker.objects.within(county.code).filter(position="group_worker", grid__isnull=False)
    assert group_workers.count() == grids.count() > 0
    assert GridPairing.objects.within(county.code).count() == grids.count()
    workers = list(GridWorker.objects.within(county.code))
    assert all(PHONE_RE.match(w.phone) and 2 <= len(w.name) <= 4 for w in workers)
    assert any(w.is_group_leader for w in workers) and any(w.is_party_member for w in workers)
    assert any(w.other_duty for w in workers) and any(w.title == "村党总支书记" for w in workers)
    townships = Division.objects.within(county.code).filter(level=Level.TOWNSHIP).count()
    assert WorkingGroup.objects.filter(kind="township_research").count() == townships
    assert WorkingGroup.objects.filter(division=county).count() == 2
    account = User.objects.get(username="grid")
    assert GridWorker.objects.get(user=account).grid_id == account.division_id
    report = grid_report(county)
    assert report.without_grid == 0 and report.over_hard == []
    assert len(report.grids_without_worker) == 0
