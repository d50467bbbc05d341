"""Generated requests against the department and village-list endpoints never produce a server error
(schemathesis), with an application waiting for the department's answer so that generated payloads
reach the answer service (R-AID-08, R-AID-06)."""

import datetime as dt

import pytest

from fangpin.assistance.models import Handler, Measure, MeasureStatus
from fangpin.profiles.services import today
from tests.apischema import call_as, run_settings, schema, session_cookies_for


@pytest.fixture
def department_session(personas, households, keep_test_connection):
    day = today()
    Measure.objects.create(
        household=households["a2"], category="健康帮扶", content="申请医疗救助", source="local",
        handler=Handler.DEPARTMENT, department="医保局", status=MeasureStatus.APPLIED,
        applied_on=day - dt.timedelta(days=2), answer_due_on=day + dt.timedelta(days=3), year=day.year)
    return session_cookies_for(personas["department"])


@schema.include(path_regex="assistance/department-measures").parametrize()
@run_settings(max_examples=15)
def test_no_generated_department_request_causes_a_server_error_R_AID_08(case, department_session):
    call_as(case, department_session)


@schema.include(path_regex="assistance/villages/").parametrize()
@run_settings(max_examples=15)
def test_no_generated_village_list_request_causes_a_server_error_R_AID_06(case, officer_session):
    call_as(case, officer_session)
