"""Generated requests against the identification endpoints never produce a server error (schemathesis),
with a real case in place so that generated ids and payloads reach the service functions."""

from tests.apischema import CASE_PATHS, call_as, run_settings, schema


@schema.include(path_regex=CASE_PATHS).parametrize()
@run_settings(max_examples=25)
def test_no_generated_request_causes_a_server_error(case, officer_session, opened):
    call_as(case, officer_session)
