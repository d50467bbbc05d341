"""Pages and API share validation, scoping and audit."""

import datetime as dt

from django.urls import reverse

from fangpin.policy.idnumbers import make_id_number
from fangpin.registry.models import Household, Member

NEW_ID = make_id_number("340621", dt.date(1995, 3, 8), 311, male=True)


def test_login_page_and_wrong_password_message(client, personas):
    assert "登录" in client.get("/accounts/login/").content.decode()
    r = client.post("/accounts/login/", {"username": "cadre_a", "password": "wrong"})
    assert "用户名或密码错误" in r.content.decode()
    r = client.post("/accounts/login/", {"username": "cadre_a", "password": "demo-pass-2026"})
    assert r.status_code == 302


def test_pages_are_usable_on_a_phone(login, personas, households):
    page = login(personas["grid_worker"]).get("/households/").content.decode()
    assert 'name="viewport"' in page and 'class="responsive"' in page and 'data-label="户主"' in page


def test_htmx_requests_get_only_the_table(login, personas, households):
    r = login(personas["county_officer"]).get("/households/", {"q": "蔡"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert "<html" not in body and "共 2 户" in body


def test_filters_by_category_tag_status_and_division(login, personas, households):
    from fangpin.registry import services

    services.set_tags(personas["county_officer"], households["c1"], ["rural_dibao"])
    client = login(personas["county_officer"])
    assert client.get("/api/households", {"category": "formerly_poor"}).json()["total"] == 2
    assert client.get("/api/households", {"status": "monitored"}).json()["total"] == 1
    assert [r["number"] for r in client.get("/api/households", {"tag": "rural_dibao"}).json()["items"]] == [households["c1"].number]
    assert client.get("/api/households", {"division": "340621102"}).json()["total"] == 1
    assert client.get("/api/households", {"q": "蔡"}).json()["total"] == 2
    assert client.get("/api/households", {"q": "王秀"}).json()["total"] == 1  # spouse's name finds the household
    assert client.get("/api/households", {"q": households["b1"].number[:12]}).json()["total"] == 1


def test_the_member_form_keeps_input_and_shows_the_error_in_chinese(login, personas, households):
    client = login(personas["cadre_a"])
    bad = NEW_ID[:17] + ("0" if NEW_ID[17] != "0" else "1")
    r = client.post(reverse("registry:member_add", args=[households["a1"].pk]),
                    {"name": "蔡新民", "id_number": bad, "relation": "之子", "months_worked": "0"})
    body = r.content.decode()
    assert r.status_code == 200 and "校验位错误" in body and "蔡新民" in body and bad in body
    assert not Member.objects.filter(name="蔡新民").exists()
    r = client.post(reverse("registry:member_add", args=[households["a1"].pk]),
                    {"name": "蔡新民", "id_number": NEW_ID, "relation": "之子", "months_worked": "0", "health": ["健康"]})
    assert r.status_code == 302
    assert Member.objects.get(name="蔡新民").sex == "男"


def test_the_household_form_creates_within_the_cadres_village(login, personas, county):
    client = login(personas["cadre_a"])
    page = client.get(reverse("registry:household_create")).content.decode()
    assert 'value="340621100201"' in page
    r = client.post(reverse("registry:household_create"), {"village_code": "340621100202", "number": "5001", "category": "ordinary"})
    assert "不在您的管辖范围内" in r.content.decode()
    assert not Household.objects.filter(number="5001").exists()
    r = client.post(reverse("registry:household_create"), {"village_code": "340621100201", "number": "5001", "category": "ordinary"})
    assert r.status_code == 302 and Household.objects.filter(number="5001").exists()


def test_api_validation_errors_are_422_with_chinese_field_messages(login, personas, households):
    client = login(personas["cadre_a"])
    r = client.post(f"/api/households/{households['a1'].pk}/members",
                    {"id_number": NEW_ID[:17] + ("0" if NEW_ID[17] != "0" else "1"), "name": "蔡新民", "relation": "之子"}, content_type="application/json")
    assert r.status_code == 422
    assert "id_number" in r.json()["errors"] and "身份证号" in r.json()["detail"]
    r = client.post(f"/api/households/{households['a1'].pk}/incomes", {"year": 2025, "wage_other": "-5"}, content_type="application/json")
    assert r.status_code == 422 and "不能为负数" in r.json()["errors"]["wage_other"][0]
    r = client.post("/api/households", {"village_code": "340621999999", "number": "1", "category": "ordinary"}, content_type="application/json")
    assert r.status_code == 422 and "340621999999" in r.json()["detail"]


def test_api_round_trip_create_household_member_income(login, personas, county):
    client = login(personas["cadre_a"])
    r = client.post("/api/households", {"village_code": "340621100201", "group_code": "340621100201001", "number": "6001",
                                        "category": "marginal_at_risk", "phone": "13955600001"}, content_type="application/json")
    assert r.status_code == 201
    hid = r.json()["id"]
    r = client.post(f"/api/households/{hid}/members", {"id_number": NEW_ID, "name": "蔡新民", "relation": "户主"},
                    content_type="application/json")
    assert r.status_code == 201 and r.json()["sex"] == "男"
    r = client.post(f"/api/households/{hid}/incomes", {"year": 2025, "wage_other": "5400"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["per_capita_net_income"] == "5400.00"
    detail = client.get(f"/api/households/{hid}").json()
    assert detail["members"][0]["name"] == "蔡新民" and detail["incomes"][0]["year"] == 2025


def test_api_requires_csrf_for_session_writes(personas, households):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["cadre_a"])
    r = client.patch(f"/api/households/{households['a1'].pk}", {"address": "x"}, content_type="application/json")
    assert r.status_code == 403


def test_openapi_docs_are_served(login, personas):
    client = login(personas["county_officer"])
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/docs").status_code == 200


def test_home_page_shows_the_users_area(login, personas, households):
    page = login(personas["township_officer"]).get("/").content.decode()
    assert "濉溪镇 · 工作台" in page and "蔡桥村" in page and "任集村" in page and "待办事项" in page


def test_a_grid_worker_home_lists_the_grids_households(login, personas, households):
    page = login(personas["grid_worker"]).get("/").content.decode()
    assert "我的网格农户" in page and "蔡德胜" in page and "蔡永华" not in page
    assert "新建农户" not in page  # grid workers do not write the registry


def test_an_administrator_home_links_the_back_office(login, county):
    from fangpin.accounts.roles import Role
    from tests.factories import user

    admin = user("admin", Role.ADMINISTRATOR, county["county"], is_staff=True, is_superuser=True)
    page = login(admin).get("/").content.decode()
    assert "/admin/" in page


def test_nul_characters_never_reach_the_database(login, personas, households):
    """PostgreSQL refuses NUL in text: the API parser and list filters drop it."""
    client = login(personas["cadre_a"])
    assert client.get("/households/", {"q": "蔡\x00"}).status_code == 200
    assert client.get("/api/households", {"q": "蔡\x00", "division": "340621\x00"}).json()["total"] == 2
    r = client.patch(f"/api/households/{households['a1'].pk}", {"address": "蔡桥\x00村"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["address"] == "蔡桥村"


def test_the_household_page_offers_an_identification_application(login, personas, households):
    client = login(personas["cadre_a"])
    page = client.get(reverse("registry:household_detail", args=[households["a1"].pk])).content.decode()
    assert f"/cases/new/?household={households['a1'].pk}" in page
    monitored = client.get(reverse("registry:household_detail", args=[households["a2"].pk])).content.decode()
    assert "受理识别申请" not in monitored
    assert client.get(f"/cases/new/?household={households['a1'].pk}").status_code == 200
