"""Generated requests against the problem-ticket endpoints never produce a server error (schemathesis),
with tickets in place so that generated ids and payloads reach the service functions (R-TRACK-05)."""

import pytest

from fangpin.followup import tickets
from tests.apischema import call_as, run_settings, schema


@pytest.fixture
def ticket_world(county, households, personas, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    tickets.open_ticket(personas["cadre_a"], households["a1"], {"dimension": "water", "description": "水井干涸，取水困难"})
    tickets.open_ticket(personas["cadre_a"], households["a2"], {"dimension": "housing", "description": "住房鉴定为C级"})


@schema.include(path_regex="followup/tickets").parametrize()
@run_settings(max_examples=10)
def test_no_generated_request_causes_a_server_error_R_TRACK_05(case, officer_session, ticket_world):
    call_as(case, officer_session)
