"""Pages and API of the policy catalogue (R-AID-01, R-AID-02): a department keeps and submits its list, the
county office compiles and publishes, the public page (no login), booklet and QR code show the published
catalogue without personal data; the import goes preview → confirm; refusals change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from fangpin.assistance import catalogue
from fangpin.assistance.models import ListStatus, Policy, PolicyList
from fangpin.audit.models import Event
from tests.assistance.test_catalogue_io import SEED_ROW, _xlsx

pytestmark = pytest.mark.django_db

YEAR = dt.date.today().year
POLICY = {"type": "健康帮扶", "name": "医疗救助", "content": "对监测对象住院自付费用按比例给予救助，咨询13900001111",
          "target_population": "监测对象", "conditions_text": "因病住院的家庭", "procedure": "乡镇医保站受理",
          "contact_name": "赵芳", "office_phone": "0561-6023456", "mobile": "13955612002"}


def _state():
    return (list(PolicyList.objects.order_by("pk").values()), list(Policy.objects.order_by("pk").values()),
            Event.objects.count())


def _published(personas):
    yibao = personas["department"]
    pl = catalogue.open_department_list(yibao, YEAR).obj
    catalogue.save_policy(yibao, pl, POLICY)
    catalogue.submit_list(yibao, pl)
    draft = catalogue.compile_catalogue(personas["county_officer"], YEAR).obj
    catalogue.publish_catalogue(personas["county_officer"], draft)
    return pl, draft


def test_department_pages_keep_and_submit_the_list_R_AID_01(personas, login):
    client = login(personas["department"])
    assert client.get(reverse("assistance:catalogue_home")).status_code == 200
    r = client.post(reverse("assistance:catalogue_open"), {"year": YEAR})
    pl = PolicyList.objects.get(department="医保局")
    assert r.url == reverse("assistance:catalogue_list", args=[pl.pk])
    new = reverse("assistance:catalogue_policy_new", args=[pl.pk])
    assert "新增帮扶政策" in client.get(new).content.decode()
    # A bad form names the field and saves nothing.
    r = client.post(new, {**POLICY, "content": "", "c_min_age": "abc"})
    page = r.content.decode()
    assert r.status_code == 200 and "帮扶政策具体内容不能为空" in page and "最低年龄应为整数" in page
    assert not pl.policies.exists()
    r = client.post(new, {**POLICY, "c_disability": "on", "c_labour": ["普通劳动力"]})
    assert r.status_code == 302
    p = pl.policies.get()
    assert p.conditions == {"labour": ["普通劳动力"], "disability": True} and p.department == "医保局"
    r = client.post(reverse("assistance:catalogue_policy_edit", args=[p.pk]), {**POLICY, "derive": "on",
                                                                              "name": "大病医疗救助"})
    p.refresh_from_db()
    assert r.status_code == 302 and p.name == "大病医疗救助"
    client.post(reverse("assistance:catalogue_submit", args=[pl.pk]))
    pl.refresh_from_db()
    assert pl.status == ListStatus.SUBMITTED
    page = client.get(reverse("assistance:catalogue_list", args=[pl.pk])).content.decode()
    assert "撤回修改" in page and reverse("assistance:catalogue_policy_new", args=[pl.pk]) not in page


def test_refused_page_actions_change_nothing_R_AID_01(personas, login, county):
    pl, catalogue_v1 = _published(personas)
    before = _state()
    # The county office cannot edit a department's list, nor a department publish.
    county_client = login(personas["county_officer"])
    assert county_client.post(reverse("assistance:catalogue_policy_new", args=[pl.pk]), POLICY).status_code == 403
    dept = Client()
    dept.force_login(personas["department"])
    r = dept.post(reverse("assistance:catalogue_publish", args=[catalogue_v1.pk]), follow=True)
    assert "“发布县级政策清单”只能由县乡村振兴局办理" in r.content.decode()
    # A published version is not edited.
    policy = catalogue_v1.policies.get()
    assert county_client.post(reverse("assistance:catalogue_policy_edit", args=[policy.pk]), POLICY).status_code == 403
    # Another department does not even see the list.
    from fangpin.accounts.roles import Role
    from tests.factories import user

    other = Client()
    other.force_login(user("minzheng", Role.DEPARTMENT_OFFICER, county["county"], department="民政局"))
    assert other.get(reverse("assistance:catalogue_list", args=[pl.pk])).status_code == 404
    assert other.post(reverse("assistance:catalogue_submit", args=[pl.pk])).status_code == 404
    assert _state() == before


def test_public_page_booklet_and_qr_without_login_R_AID_02(personas):
    _published(personas)
    client = Client()
    url = reverse("assistance:catalogue_public", args=["340621"])
    page = client.get(url).content.decode()
    assert "濉溪县防返贫帮扶政策" in page and "医疗救助" in page and "0561-6023456" in page and "赵芳" in page
    # No mobile numbers: neither the contact's nor one typed into the policy text.
    assert "13955612002" not in page and "13900001111" not in page and "［已隐去］" in page
    assert "医疗救助" in client.get(url, {"q": "住院"}).content.decode()
    assert "没有找到与“上学”有关的政策" in client.get(url, {"q": "上学"}).content.decode()
    booklet = client.get(reverse("assistance:catalogue_public_booklet", args=["340621"])).content.decode()
    assert "医疗救助" in booklet and "<svg" in booklet and "13955612002" not in booklet
    assert "booklet.css" in booklet and "<style" not in booklet and "onclick" not in booklet
    png = client.get(reverse("assistance:catalogue_public_qr_png", args=["340621"]))
    assert png.status_code == 200 and png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    svg = client.get(reverse("assistance:catalogue_public_qr_svg", args=["340621"]))
    assert svg.status_code == 200 and b"<svg" in svg.content
    assert client.get(reverse("assistance:catalogue_public", args=["999999"])).status_code == 404
    assert client.get(reverse("assistance:catalogue_public", args=["340621100"])).status_code == 404


def test_public_page_before_publication_R_AID_02(county):
    page = Client().get(reverse("assistance:catalogue_public", args=["340621"])).content.decode()
    assert "尚未发布" in page
    assert Client().get(reverse("assistance:catalogue_public_booklet", args=["340621"])).status_code == 404


def test_staff_booklet_and_export_R_AID_02(personas, login):
    pl, v1 = _published(personas)
    client = login(personas["cadre_a"])  # village cadres read the published catalogue
    booklet = client.get(reverse("assistance:catalogue_booklet", args=[v1.pk])).content.decode()
    assert "医疗救助" in booklet and "13955612002" in booklet  # staff see the contact's mobile
    r = client.get(reverse("assistance:catalogue_export", args=[v1.pk]))
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert client.get(reverse("assistance:catalogue_list", args=[pl.pk])).status_code == 404  # not a department list
    # Roles without the export capability print the booklet instead.
    grid = Client()
    grid.force_login(personas["grid_worker"])
    assert grid.get(reverse("assistance:catalogue_export", args=[v1.pk])).status_code == 403
    assert grid.get(f"/api/assistance/policy-lists/{v1.pk}/export").status_code == 403
    assert grid.get(reverse("assistance:catalogue_booklet", args=[v1.pk])).status_code == 200


def test_import_page_preview_then_confirm_R_AID_01(personas, login, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    yibao = personas["department"]
    pl = catalogue.open_department_list(yibao, YEAR).obj
    client = login(yibao)
    row = [*SEED_ROW[:6], "部门：医保局 联系人：赵芳 办公电话：0561-6023456"]
    path = _xlsx(tmp_path, [row], title=f"{YEAR}年濉溪县医保局防返贫帮扶政策清单")
    url = reverse("assistance:catalogue_import", args=[pl.pk])
    r = client.post(url, {"file": SimpleUploadedFile("清单.xlsx", path.read_bytes())})
    page = r.content.decode()
    assert "可导入 1 条政策" in page and "以工代赈" in page and "确认导入 1 条" in page
    assert not pl.policies.exists()
    token, digest = r.context["token"], r.context["preview"].digest
    confirm = reverse("assistance:catalogue_import_confirm", args=[pl.pk])
    # Someone else's token, or a changed digest, writes nothing.
    r = client.post(confirm, {"token": token, "digest": "0" * 64, "replace": "0"}, follow=True)
    assert "数据已在预检后发生变化" in r.content.decode() and not pl.policies.exists()
    r = client.post(confirm, {"token": token, "digest": digest, "replace": "0"}, follow=True)
    assert "已从“清单.xlsx”导入1条政策" in r.content.decode()
    assert list(pl.policies.values_list("name", "contact_name")) == [("以工代赈", "赵芳")]
    # The token is used up.
    r = client.post(confirm, {"token": token, "digest": digest, "replace": "0"}, follow=True)
    assert "导入的文件已失效" in r.content.decode() and pl.policies.count() == 1
    # A file without the required columns: the message names the column.
    bad = _xlsx(tmp_path, [["就业帮扶"]], header=["帮扶类型", "适用人群"], name="缺列.xlsx")
    page = client.post(url, {"file": SimpleUploadedFile("缺列.xlsx", bad.read_bytes())}).content.decode()
    assert "文件缺少必需的列：“帮扶政策”、“帮扶政策具体内容”" in page and pl.policies.count() == 1


def test_api_department_list_publish_and_import_R_AID_01(personas, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    dept, county_office = Client(), Client()
    dept.force_login(personas["department"])
    county_office.force_login(personas["county_officer"])
    r = dept.post("/api/assistance/policy-lists", {"year": YEAR}, content_type="application/json")
    assert r.status_code == 201, r.content
    list_id = r.json()["list"]["id"]
    r = dept.post(f"/api/assistance/policy-lists/{list_id}/policies", {**POLICY, "name": ""}, content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"]["name"] == ["帮扶政策不能为空"]
    r = dept.post(f"/api/assistance/policy-lists/{list_id}/policies", POLICY, content_type="application/json")
    assert r.status_code == 201 and r.json()["policy"]["kind"] == "safety_net"  # 医疗救助: social assistance
    policy_id = r.json()["policy"]["id"]
    r = dept.patch(f"/api/assistance/policies/{policy_id}", {"kind": "other"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["policy"]["kind"] == "other"
    assert r.json()["policy"]["name"] == "医疗救助"
    # Import preview and confirm.
    path = _xlsx(tmp_path, [[*SEED_ROW[:6], "部门：医保局"]], title="")
    r = dept.post("/api/assistance/policy-imports", {"list_id": list_id, "file": SimpleUploadedFile("a.xlsx", path.read_bytes())})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["can_apply"] and body["rows"][0]["name"] == "以工代赈"
    r = dept.post("/api/assistance/policy-imports/confirm", {"list_id": list_id, "token": body["token"], "digest": body["digest"]},
                  content_type="application/json")
    assert r.status_code == 200 and r.json()["list"]["policies"] == 2
    # Publishing is the county office's.
    assert dept.post(f"/api/assistance/policy-lists/{list_id}/submit").status_code == 200
    r = county_office.post("/api/assistance/policy-catalogues/compile", {"year": YEAR}, content_type="application/json")
    assert r.status_code == 201
    draft_id = r.json()["list"]["id"]
    r = dept.post(f"/api/assistance/policy-lists/{draft_id}/publish")
    assert r.status_code in (403, 404)
    assert county_office.post(f"/api/assistance/policy-lists/{draft_id}/publish").json()["list"]["status"] == "published"
    assert catalogue.current_catalogue("340621", YEAR).pk == draft_id
    detail = dept.get(f"/api/assistance/policy-lists/{draft_id}").json()
    assert [p["name"] for p in detail["items"]] == ["医疗救助", "以工代赈"]
    r = dept.get(f"/api/assistance/policy-lists/{draft_id}/export")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    lists = dept.get("/api/assistance/policy-lists", {"year": YEAR}).json()
    assert {(x["kind"], x["status"]) for x in lists} == {("department", "submitted"), ("catalogue", "published")}


@pytest.mark.parametrize("who", ["county_officer", "township_officer", "cadre_a", "grid_worker", "supervisor",
                                 "department", "contact"])
def test_every_role_reaches_the_catalogue_pages_R_AID_02(personas, login, who):
    _published(personas)
    client = login(personas[who])
    home = client.get(reverse("assistance:catalogue_home"))
    assert home.status_code == 200
    page = home.content.decode()
    assert "第1版" in page and "/assistance/policies/public/340621/" in page
    v1 = catalogue.current_catalogue("340621", YEAR)
    assert client.get(reverse("assistance:catalogue_list", args=[v1.pk])).status_code == 200
    nav = client.get(reverse("home")).content.decode()
    assert 'href="/assistance/policies/"' in nav
