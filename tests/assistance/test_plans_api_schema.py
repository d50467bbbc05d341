"""Generated requests against the contact and plan endpoints never produce a server error
(schemathesis), with a plan and a measure in place so that generated payloads reach the services
(R-AID-03, R-AID-05, R-AID-07)."""

import pytest

from fangpin.assistance import plans
from tests.apischema import call_as, run_settings, schema
from tests.assistance.test_plans import DAY, make_catalogue, policy


@pytest.fixture
def plan_world(county, households, personas):
    plan = plans.on_household_filed(personas["county_officer"], households["a2"], DAY)
    plans.add_measure(personas["township_officer"], plan, policy(make_catalogue(county["county"]), "医疗救助"))
    return plan


@schema.include(path_regex="assistance/(households|plans|plan-measures)").parametrize()
@run_settings(max_examples=12)
def test_no_generated_request_causes_a_server_error_R_AID_03(case, officer_session, plan_world):
    call_as(case, officer_session)
