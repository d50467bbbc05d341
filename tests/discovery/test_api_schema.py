"""Generated requests against the lead endpoints never produce a server error (schemathesis), with real
leads in place so that generated ids and payloads reach the service functions (R-DISC-01, R-DISC-03)."""

import pytest

from tests.apischema import call_as, run_settings, schema
from tests.discovery.conftest import raise_for


@pytest.fixture
def leads(households, personas):
    return [raise_for(personas["cadre_a"], households["a1"]).lead,
            raise_for(personas["county_officer"], households["b1"], channel="petition").lead]


@schema.include(path_regex="leads").parametrize()
@run_settings(max_examples=25)
def test_no_generated_request_causes_a_server_error_R_DISC_01(case, officer_session, leads):
    call_as(case, officer_session)
