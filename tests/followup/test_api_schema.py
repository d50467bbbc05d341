"""Generated requests against the visit, must-visit, sweep and screening endpoints never produce a server
error (schemathesis), with visits, a sweep and a screening in place so that generated ids and payloads
reach the service functions (R-DISC-05, R-DISC-06, R-DISC-07)."""

import datetime as dt

import pytest

from fangpin.followup import services
from fangpin.followup.mustvisit import compute_county
from fangpin.profiles.services import today
from fangpin.registry.models import Tag
from tests.apischema import call_as, run_settings, schema


@pytest.fixture
def followup_world(county, households, personas):
    day = today()
    households["a1"].tags.add(Tag.objects.get(code="petition"))
    compute_county("340621", as_of=day)
    services.record_visit(personas["cadre_a"], households["a1"], {"visited_on": day.isoformat(), "mode": "home"})
    services.open_sweep(personas["county_officer"], county["county"], {
        "name": "拉网式排查", "starts_on": (day - dt.timedelta(days=10)).isoformat(), "ends_on": day.isoformat()})
    services.submit_screening(personas["department"], county["county"], {
        "year": day.year, "quarter": (day.month - 1) // 3 + 1, "scope": "全县", "households_screened": 10,
        "findings_count": 1})


@schema.include(path_regex="visits|must-visits|sweeps|screenings").parametrize()
@run_settings(max_examples=25)
def test_no_generated_request_causes_a_server_error_R_DISC_05(case, officer_session, followup_world):
    call_as(case, officer_session)
