"""一户一码 door card (issue item 7): the QR code holds an URL with an opaque signed code — no name, no ID
number, no phone; scanning it opens the household (or the contact's visit form) only inside the user's
area, and the same 404 answers a bad code and a household elsewhere."""

import datetime as dt
import re

import segno
from django.core import signing
from django.urls import NoReverseMatch, reverse

from fangpin.assistance.models import ContactAssignment
from fangpin.followup.colour import CARD_SALT, card_token, household_id_from_token
from fangpin.registry.models import Member


def _card(client, pk):
    response = client.get(f"/visits/card/{pk}/")
    assert response.status_code == 200
    return response, response.context["cards"][0]


def test_door_card_qr_contains_no_personal_data_door_card(households, personas, login):
    h = households["a1"]
    response, card = _card(login(personas["cadre_a"]), h.pk)
    url = card["url"]
    token = re.search(r"/visits/k/([^/]+)/$", url).group(1)
    assert signing.loads(token, salt=CARD_SALT) == h.pk and household_id_from_token(token) == h.pk
    personal = [m.name for m in Member.objects.filter(household=h)] + [
        m.id_number for m in Member.objects.filter(household=h)] + [h.phone, "13855612345", h.number]
    for value in personal:
        assert value not in url
        assert value not in token
    assert str(card["qr"]) == segno.make(url, error="m").svg_inline(omitsize=True, border=2, dark="#000")
    body = response.content.decode()
    assert h.number in body and "蔡桥村" in body and "码" in body and "data-print" in body
    assert "蔡德胜" not in body  # the head's name is not printed on the door either


def test_door_card_404_outside_area_door_card(households, personas, login):
    assert login(personas["cadre_a"]).get(f"/visits/card/{households['b1'].pk}/").status_code == 404


def test_card_open_in_area_outside_area_and_bad_token_door_card(households, personas, login):
    client = login(personas["cadre_a"])
    opened = client.get(f"/visits/k/{card_token(households['a1'].pk)}/")
    assert opened.status_code == 302 and opened["Location"] == f"/households/{households['a1'].pk}/"
    elsewhere = client.get(f"/visits/k/{card_token(households['b1'].pk)}/")
    bad = client.get("/visits/k/not-a-token/")
    forged = client.get(f"/visits/k/{signing.dumps(households['a1'].pk, salt='other')}/")
    assert elsewhere.status_code == bad.status_code == forged.status_code == 404
    def page(r):  # the same page but for the request's nonce and CSRF token
        return re.sub(r'(nonce="|CSRFToken": "|value=")[^"]*"', "", r.content.decode())

    assert page(elsewhere) == page(bad)
    anonymous = client.__class__().get(f"/visits/k/{card_token(households['a1'].pk)}/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_card_open_takes_the_contact_to_the_visit_form_door_card(households, personas, login):
    h = households["a2"]
    ContactAssignment.objects.create(household=h, contact=personas["contact"], assigned_on=dt.date(2026, 3, 1))
    opened = login(personas["contact"]).get(f"/visits/k/{card_token(h.pk)}/")
    try:
        expected = reverse("followup:monthly_visit", args=[h.pk])
    except NoReverseMatch:
        expected = f"/households/{h.pk}/"
    assert opened.status_code == 302 and opened["Location"] == expected


def test_batch_cards_for_a_village_scoped_and_paginated_door_card(households, personas, login, county):
    client = login(personas["township_officer"])
    response = client.get(f"/visits/cards/?village={county['va'].code}")
    assert response.status_code == 200
    assert {c["number"] for c in response.context["cards"]} == {households["a1"].number, households["a2"].number}
    assert response.context["total"] == 2 and response.context["pages"] == 1
    assert client.get(f"/visits/cards/?village={county['vc'].code}").status_code == 404
    assert client.get("/visits/cards/?village=").status_code == 404
