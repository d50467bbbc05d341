"""The public self-declaration over the API (R-DISC-02): no login, the same service, limits, honeypot and
duplicate merging as the page; Chinese answers naming the field, nothing stored when refused."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from fangpin.discovery import public
from fangpin.discovery.models import Channel, Lead, LeadReport
from tests.factories import id_number

pytestmark = pytest.mark.django_db
URL = "/api/public/declarations"


def _body(village, **over):
    data = {"village_token": public.village_token(village), "person_name": "王桂芳", "id_number": id_number(),
            "person_phone": "13955610077", "risk_types": ["因自然灾害"], "description": "房子被暴雨冲垮一间，无处居住"}
    data.update(over)
    return data


def _post(client, body, ip="10.9.0.1"):
    return client.post(URL, json.dumps(body), content_type="application/json", REMOTE_ADDR=ip)


@pytest.fixture
def anon():
    return Client(raise_request_exception=False, enforce_csrf_checks=True)


def test_a_declaration_through_the_api_becomes_a_lead_of_the_village_R_DISC_02(county, anon):
    r = _post(anon, _body(county["vb"]))
    assert r.status_code == 201, r.content
    lead = Lead.objects.get()
    assert lead.channel == Channel.QR_SELF_DECLARATION and lead.division_code == county["vb"].code
    out = r.json()
    assert out["reference"] == lead.reference and out["check_code"] == lead.check_code and not out["merged"]
    status = anon.get("/api/cases/status", {"reference": out["reference"], "check_code": out["check_code"]})
    assert status.status_code == 200 and "王桂芳" not in status.content.decode()


@pytest.mark.parametrize(("field", "value", "words"), [
    ("id_number", "340621197506010010", "身份证号"),
    ("person_phone", "110", "联系电话"),
    ("person_name", "", "姓名"),
    ("website", "http://spam.example", "网址"),
])
def test_refused_input_names_the_field_and_stores_nothing_R_DISC_02(county, anon, field, value, words):
    r = _post(anon, _body(county["va"], **{field: value}))
    assert r.status_code == 422
    assert words in "".join(r.json()["errors"][field])
    assert Lead.objects.count() == 0


def test_a_forged_token_is_404_and_a_flood_gets_429_R_DISC_02(county, anon, settings):
    settings.FANGPIN_DECLARE_SUBMIT_RATE = "2/h"
    assert _post(anon, _body(county["va"], village_token=county["va"].code)).status_code == 404
    answers = [_post(anon, _body(county["va"]), ip="10.9.1.1").status_code for _ in range(4)]
    assert answers[-2:] == [429, 429] and answers[:1] == [201]
    assert "过于频繁" in _post(anon, _body(county["va"]), ip="10.9.1.1").json()["detail"]
    assert Lead.objects.count() == answers.count(201)


def test_the_page_and_the_api_share_the_id_number_counter_and_merge_R_DISC_02(county, anon, settings):
    settings.FANGPIN_DECLARE_ID_RATE = "2/d"
    number = id_number()
    page = anon.get(public.declare_path(county["va"]), REMOTE_ADDR="10.9.2.1")
    token = page.cookies["csrftoken"].value
    form = {"csrfmiddlewaretoken": token, "person_name": "王桂芳", "id_number": number, "person_phone": "13955610077",
            "risk_types": ["因病"], "description": "住院"}
    assert anon.post(public.declare_path(county["va"]), form, REMOTE_ADDR="10.9.2.1").status_code == 200
    second = _post(anon, _body(county["va"], id_number=number), ip="10.9.2.2")
    assert second.status_code == 201 and second.json()["merged"] is True
    assert _post(anon, _body(county["va"], id_number=number), ip="10.9.2.3").status_code == 429
    assert Lead.objects.count() == 1 and LeadReport.objects.count() == 2


def test_the_page_refuses_a_post_without_its_csrf_token_R_DISC_02(county, anon):
    r = anon.post(public.declare_path(county["va"]), {"person_name": "x"}, REMOTE_ADDR="10.9.3.1")
    assert r.status_code == 403 and Lead.objects.count() == 0
