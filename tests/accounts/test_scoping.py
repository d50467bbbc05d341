"""One scoping door for every page, count, search, export and API call (R-SEC-01)."""

import io

import openpyxl
import pytest
from django.urls import reverse

from fangpin.accounts.roles import CAPABILITIES, Role

HOUSEHOLD_PAGES = [
    "registry:household_detail", "registry:household_edit", "registry:household_category",
    "registry:household_tags", "registry:basic_needs_edit", "registry:income_add", "registry:member_add",
]
MEMBER_PAGES = ["registry:member_edit", "registry:member_move", "registry:member_remove"]


def test_a_cadre_of_village_a_gets_404_on_every_household_url_of_village_b_R_SEC_01(login, personas, households):
    client = login(personas["cadre_a"])
    b1 = households["b1"]
    for name in HOUSEHOLD_PAGES:
        assert client.get(reverse(name, args=[b1.pk])).status_code == 404, name
        assert client.post(reverse(name, args=[b1.pk]), {"reason": "x"}).status_code == 404, name
    for member in b1.members.all():
        for name in MEMBER_PAGES:
            assert client.get(reverse(name, args=[member.pk])).status_code == 404, name
    # API: detail, writes and members of B are 404 too.
    assert client.get(f"/api/households/{b1.pk}").status_code == 404
    assert client.patch(f"/api/households/{b1.pk}", {"phone": "13900000000"}, content_type="application/json").status_code == 404
    m = b1.members.first()
    assert client.patch(f"/api/members/{m.pk}", {"name": "改名"}, content_type="application/json").status_code == 404
    # And A's own household is reachable.
    assert client.get(reverse("registry:household_detail", args=[households["a1"].pk])).status_code == 200


def test_a_cadre_never_sees_other_villages_in_lists_counts_search_or_exports_R_SEC_01(login, personas, households):
    client = login(personas["cadre_a"])
    body = client.get("/households/").content.decode()
    assert "共 2 户" in body
    assert "蔡德胜" in body and "任建国" not in body and "马超" not in body
    # Search by name and by household number of village B finds nothing.
    assert "共 0 户" in client.get("/households/", {"q": "任建国"}).content.decode()
    assert "共 0 户" in client.get("/households/", {"q": households["b1"].number}).content.decode()
    b_head = households["b1"].members.get(relation="户主")
    assert "共 0 户" in client.get("/households/", {"q": b_head.id_number}).content.decode()
    # A division filter pointing at village B yields nothing rather than widening the scope.
    assert "共 0 户" in client.get("/households/", {"division": "340621100202"}).content.decode()
    # Home page counts.
    home = client.get("/").content.decode()
    assert "<b>2</b><span>农户（户）</span>" in home
    # API list and search.
    data = client.get("/api/households").json()
    assert data["total"] == 2 and {r["number"] for r in data["items"]} == {households["a1"].number, households["a2"].number}
    assert client.get("/api/households", {"q": "任"}).json()["total"] == 0
    # Export.
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/households/export.xlsx").content))
    names = {row[7] for row in wb.active.iter_rows(min_row=3, values_only=True)}
    assert "蔡德胜" in names and "任建国" not in names and "马超" not in names


def test_township_and_county_officers_see_their_whole_area_R_SEC_01(login, personas, households):
    assert login(personas["township_officer"]).get("/api/households").json()["total"] == 3
    assert login(personas["county_officer"]).get("/api/households").json()["total"] == 4


def test_a_grid_worker_sees_only_the_grid(login, personas, households):
    data = login(personas["grid_worker"]).get("/api/households").json()
    assert [r["number"] for r in data["items"]] == [households["a1"].number]


def test_a_user_without_a_division_sees_nothing(login, households, county):
    from tests.factories import user

    lost = user("nobody", Role.VILLAGE_CADRE, None)
    assert login(lost).get("/api/households").json()["total"] == 0


@pytest.mark.parametrize("persona", ["supervisor", "department", "grid_worker", "contact"])
def test_read_only_roles_cannot_write_R_SEC_01(login, personas, households, persona):
    client = login(personas[persona])
    a1 = households["a1"]
    visible = client.get("/api/households").json()["total"] > 0
    assert visible
    r = client.patch(f"/api/households/{a1.pk}", {"phone": "13900000000"}, content_type="application/json")
    assert r.status_code in (403, 404)
    if persona in ("supervisor", "department"):
        assert r.status_code == 403 and "权限" in r.json()["detail"]
        assert client.get(reverse("registry:household_edit", args=[a1.pk])).status_code == 403
        assert client.post(reverse("registry:member_add", args=[a1.pk]), {"name": "x"}).status_code == 403
    a1.refresh_from_db()
    assert a1.phone == "13955612345"


def test_the_capability_table_covers_every_role_R_SEC_01():
    assert set(CAPABILITIES) == set(Role.values)
    writers = {r for r, c in CAPABILITIES.items() if c.write_registry}
    assert Role.SUPERVISOR not in writers and Role.DEPARTMENT_OFFICER not in writers


def test_anonymous_users_are_sent_to_login(client, households):
    assert client.get("/households/").status_code == 302
    assert client.get("/api/households").status_code == 401
