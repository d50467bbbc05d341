"""Generated requests against the OpenAPI schema never produce a server error (schemathesis)."""

from tests.apischema import CASE_PATHS, call_as, run_settings, schema


@schema.exclude(path_regex=CASE_PATHS).parametrize()
@run_settings(max_examples=6)
def test_no_generated_request_causes_a_server_error(case, officer_session):
    call_as(case, officer_session)
