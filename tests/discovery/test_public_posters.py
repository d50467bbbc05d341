"""QR posters of the villages (R-DISC-02): an A4 sheet per village with the village's name, its QR code
(opening that village's declaration page), the hotlines 12317 and 12345 and short instructions; staff
open and print the posters of their own area only."""

from __future__ import annotations

import re

import pytest
import segno
from django.test import Client
from django.urls import reverse

from fangpin.accounts.roles import Role
from fangpin.areas.models import Level
from fangpin.discovery import public
from tests.factories import division, user

pytestmark = pytest.mark.django_db


def _get(person, url):
    client = Client(raise_request_exception=False)
    client.force_login(person)
    return client.get(url)


def test_a_village_poster_carries_the_qr_code_hotlines_and_instructions_R_DISC_02(county, personas, settings):
    settings.FANGPIN_PUBLIC_URL = "https://fangpin.example.gov.cn"
    village = county["va"]
    r = _get(personas["cadre_a"], reverse("discovery:poster", args=[village.pk]))
    html = r.content.decode()
    assert r.status_code == 200
    assert "蔡桥村" in html and "12317" in html and "12345" in html and "扫描" in html
    assert html.count("<svg") == 1 and "<path" in html
    # The printed address is the public one, and it opens this village's page.
    url = f"https://fangpin.example.gov.cn{public.declare_path(village)}"
    assert url in html
    assert public.village_for_token(url.rsplit("/", 2)[-2]) == village
    # The code drawn is that address's QR matrix (segno, error correction M), sized by the stylesheet.
    drawn = segno.make(url, error="m").svg_inline(omitsize=True, border=2, dark="#000")
    assert drawn in html and "viewBox" in drawn and "width=" not in drawn.split(">")[0]
    assert segno.make(url + "x", error="m").svg_inline(omitsize=True, border=2, dark="#000") not in html
    # Printing: the A4 stylesheet and the print button's script are static files (CSP), no inline style.
    assert "css/poster-print.css" in html and "js/print.js" in html
    assert not re.search(r"\sstyle\s*=", html) and "<style" not in html


def test_posters_are_scoped_to_the_staff_of_the_area_R_DISC_02(county, personas):
    va = county["va"]
    other = division("340602", "杜集区", Level.COUNTY)
    county_2 = user("county_2", Role.COUNTY_OFFICE, other, display_name="杜集区干部")
    poster_a = reverse("discovery:poster", args=[va.pk])
    assert _get(personas["cadre_a"], poster_a).status_code == 200
    assert _get(personas["township_officer"], poster_a).status_code == 200
    assert _get(personas["county_officer"], poster_a).status_code == 200
    assert _get(personas["cadre_b"], poster_a).status_code == 404  # another village
    assert _get(county_2, poster_a).status_code == 404  # another county
    assert _get(personas["cadre_a"], reverse("discovery:poster", args=[987654321])).status_code == 404
    anonymous = Client().get(poster_a)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_a_township_prints_the_posters_of_all_its_villages_R_DISC_02(county, personas):
    url = reverse("discovery:poster_township", args=[county["t1"].pk])
    r = _get(personas["township_officer"], url)
    html = r.content.decode()
    assert r.status_code == 200
    villages = (county["va"], county["vb"])
    assert html.count('<section class="poster">') == county["t1"].children.filter(level=Level.VILLAGE).count()
    for v in villages:
        assert v.name in html and public.declare_path(v) in html
    assert _get(personas["cadre_a"], url).status_code == 404  # a village cadre does not hold the township
    index = _get(personas["township_officer"], reverse("discovery:poster_index")).content.decode()
    assert url in index and reverse("discovery:poster", args=[county["va"].pk]) in index
    cadre_index = _get(personas["cadre_a"], reverse("discovery:poster_index")).content.decode()
    assert county["vb"].name not in cadre_index


def test_the_lead_list_links_to_the_posters_R_DISC_02(county, personas):
    html = _get(personas["cadre_a"], reverse("discovery:lead_list")).content.decode()
    assert reverse("discovery:poster_index") in html
