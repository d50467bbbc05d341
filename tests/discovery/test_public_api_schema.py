"""Generated requests against the public declaration endpoint never produce a server error (schemathesis,
R-DISC-02): bodies that do not parse are answered 400 and bad fields 422 in Chinese, unknown tokens 404,
floods 429."""

import json

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from fangpin.discovery import public
from fangpin.discovery.models import Lead
from tests.apischema import run_settings, schema


@pytest.fixture
def anonymous(county, keep_test_connection):
    return {}


@schema.include(path_regex="public/declarations").parametrize()
@run_settings(max_examples=40)
def test_no_generated_declaration_causes_a_server_error_R_DISC_02(case, anonymous):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
    expected = (201, 400, 404, 422, 429) if case.method == "POST" else (405,)
    assert response.status_code in expected, (case.method, response.status_code, response.text[:200])


# Arbitrary field values with a valid village token reach the service itself.
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@given(name=TEXT, number=st.one_of(TEXT, st.just("340621197506010011")), phone=TEXT,
       risks=st.lists(st.one_of(TEXT, st.sampled_from(["因病", "因残"])), max_size=3), description=TEXT)
@run_settings(max_examples=40)
def test_arbitrary_fields_of_a_real_village_are_answered_never_with_a_server_error_R_DISC_02(
        county, settings, name, number, phone, risks, description):
    settings.FANGPIN_DECLARE_SUBMIT_RATE = settings.FANGPIN_DECLARE_ID_RATE = "100000/h"
    body = {"village_token": public.village_token(county["va"]), "person_name": name, "id_number": number,
            "person_phone": phone, "risk_types": risks, "description": description}
    before = Lead.objects.count()
    r = Client(raise_request_exception=False).post("/api/public/declarations", json.dumps(body),
                                                   content_type="application/json")
    assert r.status_code in (201, 422), (r.status_code, r.content[:300])
    if r.status_code == 422:
        assert r.json()["errors"] and Lead.objects.count() == before
