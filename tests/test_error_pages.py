"""Every answer a user sees is Chinese, without library text, paths or tracebacks (R-SEC-05)."""

import re

import pytest
from django.test import Client, override_settings

ENGLISH = re.compile(r"\b(Not Found|Forbidden|Server Error|Traceback|Field required|Cannot parse|Unauthorized|Error)\b")


def test_missing_page_answers_in_chinese_R_SEC_05(login, personas):
    body = login(personas["cadre_a"]).get("/households/999999/").content.decode()
    assert "页面不存在" in body and not ENGLISH.search(body)


def test_permission_page_shows_the_services_reason_R_SEC_05(login, personas, households):
    r = login(personas["supervisor"]).get(f"/households/{households['a1'].pk}/edit/")
    assert r.status_code == 403
    body = r.content.decode()
    assert "没有权限" in body and "不能修改农户信息" in body and not ENGLISH.search(body)


def test_expired_form_is_explained_in_chinese_R_SEC_05(personas, households):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["cadre_a"])
    r = client.post(f"/households/{households['a1'].pk}/edit/", {"phone": "13900000000"})
    assert r.status_code == 403
    body = r.content.decode()
    assert "页面已过期" in body and not ENGLISH.search(body)


@pytest.mark.parametrize("body,expected", [
    ("{not json", "无法解析"),
    ('{"name": "刘新成"}', "id_number：必须填写"),
    ('{"id_number": "340621200107150012", "name": "刘新成", "relation": "其他", "months_worked": "十二"}',
     "months_worked：应为整数"),
])
def test_api_framework_errors_are_chinese_and_name_the_field_R_SEC_05(login, personas, households, body, expected):
    r = login(personas["cadre_a"]).post(f"/api/households/{households['a1'].pk}/members", body,
                                        content_type="application/json")
    assert r.status_code in (400, 422)
    detail = r.json()["detail"]
    assert isinstance(detail, str) and expected in detail
    assert not ENGLISH.search(r.content.decode())


def test_api_without_login_answers_in_chinese_R_SEC_05(client):
    r = client.get("/api/households")
    assert r.status_code == 401 and r.json()["detail"] == "请先登录"


@override_settings(DEBUG=False)
def test_unexpected_api_error_hides_the_cause_R_SEC_05(login, personas, households, monkeypatch):
    from fangpin.registry import services

    def boom(*args, **kwargs):
        raise RuntimeError("/srv/fangpin/var/secret.sqlite3: disk I/O error")

    monkeypatch.setattr(services, "update_household", boom)
    r = login(personas["cadre_a"]).patch(f"/api/households/{households['a1'].pk}", {"address": "x"},
                                         content_type="application/json")
    assert r.status_code == 500
    text = r.content.decode()
    assert "服务器处理出错" in r.json()["detail"] and "/srv" not in text and "disk" not in text


@override_settings(DEBUG=False)
def test_unexpected_page_error_shows_the_chinese_page_R_SEC_05(personas, households, monkeypatch):
    from fangpin.registry import services

    def boom(*args, **kwargs):
        raise RuntimeError("/srv/fangpin/var/secret.sqlite3: disk I/O error")

    monkeypatch.setattr(services, "update_household", boom)
    client = Client(raise_request_exception=False)
    client.force_login(personas["cadre_a"])
    r = client.post(f"/households/{households['a1'].pk}/edit/", {"phone": "13900000000", "address": "x"})
    assert r.status_code == 500
    body = r.content.decode()
    assert "系统处理出错" in body and "/srv" not in body and "disk" not in body
