"""The demo county ships visits, a sweep in progress and department screenings, so the grid worker has an
overdue must-visit list on first login (R-DISC-05, R-DISC-06, R-DISC-07)."""

import datetime as dt

from fangpin.accounts.models import User
from fangpin.followup.models import (
    DepartmentScreening,
    Meeting,
    MemberChange,
    MustVisitEntry,
    MustVisitRun,
    Sweep,
    Ticket,
    Visit,
    VisitSchedule,
)
from fangpin.followup.selectors import coverage, must_visits_for, not_reported, overdue_cutoff
from fangpin.registry.demo import build_demo
from fangpin.registry.models import Household, IncomeRecord

AS_OF = dt.date(2026, 6, 30)


def test_demo_county_has_visits_lists_a_sweep_screenings_and_months_of_follow_up_R_DISC_05_R_TRACK_01(db):
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

    # Monthly follow-up (R-TRACK-01 … R-TRACK-05): six months of contact visits with the month's income,
    # the months' schedules (last month's misses overdue), tickets, member changes and meetings.
    monitored = Household.objects.filter(monitoring_status="monitored").count()
    monthly = Visit.objects.filter(purpose="monthly")
    months = sorted(set(monthly.values_list("month", flat=True)))
    assert months[0] == dt.date(2026, 1, 1) and months[-1] == dt.date(2026, 6, 1)
    assert monthly.filter(month=dt.date(2026, 5, 1)).count() > 0.85 * monitored
    assert not monthly.filter(income_record__isnull=True).exists()
    assert IncomeRecord.objects.filter(period="month").count() == monthly.count()
    assert monthly.exclude(mode="home").exclude(remote_reason="").exists()
    assert not monthly.exclude(mode="home").filter(remote_reason="").exists()
    may = VisitSchedule.objects.filter(month=dt.date(2026, 5, 1), kind="contact")
    assert may.count() == monitored
    assert 0 < may.filter(done_on__isnull=True).count() < 0.15 * monitored  # overdue now
    contact = User.objects.get(username="contact")
    june = VisitSchedule.objects.filter(month=dt.date(2026, 6, 1), responsible=contact)
    assert june.exists() and not june.filter(done_on__isnull=False).exists()  # still to visit this month
    tickets = Ticket.objects.all()
    assert tickets.filter(status="closed").exclude(evidence="").exists()
    assert tickets.filter(status="open", due_on__lt=AS_OF).exists() and tickets.filter(status="open", due_on__gte=AS_OF).exists()
    assert MemberChange.objects.filter(status="proposed").exists()
    assert set(Meeting.objects.values_list("kind", flat=True)) == {"village_analysis", "township_dispatch"}
