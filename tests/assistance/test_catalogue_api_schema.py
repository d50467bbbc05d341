"""Generated requests against the policy catalogue endpoints never produce a server error (schemathesis),
as the department officer and as the county office, with a department list, a policy and a published
catalogue in place so that generated payloads reach the services (R-AID-01, R-AID-02)."""

import pytest

from fangpin.assistance import catalogue
from tests.apischema import call_as, run_settings, schema, session_cookies_for

PATHS = "assistance/(policy-lists|policies|policy-catalogues|policy-imports)"


@pytest.fixture
def catalogue_world(personas, households, keep_test_connection, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    yibao, office = personas["department"], personas["county_officer"]
    pl = catalogue.open_department_list(yibao, 2026).obj
    catalogue.save_policy(yibao, pl, {"type": "健康帮扶", "name": "医疗救助", "content": "住院自付费用按比例救助"})
    catalogue.submit_list(yibao, pl)
    catalogue.publish_catalogue(office, catalogue.compile_catalogue(office, 2026).obj)
    catalogue.reopen_list(yibao, pl)
    return personas


@schema.include(path_regex=PATHS).parametrize()
@run_settings(max_examples=4)
def test_no_generated_request_causes_a_server_error_as_a_department_R_AID_01(case, catalogue_world):
    call_as(case, session_cookies_for(catalogue_world["department"]))


@schema.include(path_regex=r"assistance/(policy-catalogues|policy-lists/\{list_id\}/publish)").parametrize()
@run_settings(max_examples=4)
def test_no_generated_request_causes_a_server_error_as_the_county_office_R_AID_01(case, catalogue_world):
    call_as(case, session_cookies_for(catalogue_world["county_officer"]))
