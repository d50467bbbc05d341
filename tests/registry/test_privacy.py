"""Personal data in every rendering (R-SEC-05) and no ID-number oracle across areas (R-SEC-04)."""

import datetime as dt

import pytest
from django.urls import reverse

from fangpin.audit.models import Event
from fangpin.policy.pii import contains_personal_data, mask_ids_in_text, scrub_personal_data
from fangpin.registry import services
from fangpin.registry.models import Member, MoveRequest
from tests.factories import id_number

NEW_PHONE = "13712345678"


def _member_data(id_no, **over):
    data = {"id_number": id_no, "name": "刘新成", "relation": "其他", "ethnicity": "汉族", "labour": "普通劳动力",
            "health": "健康", "phone": ""}
    data.update(over)
    return data


@pytest.fixture
def edited(personas, households):
    """Village cadre A corrects a member's ID number and phone, the household phone, and gives a reason
    with an ID number and a phone typed into it."""
    h = households["a1"]
    wife = h.members.get(relation="配偶")
    old_id = wife.id_number
    new_id = id_number(dt.date(1972, 8, 9), male=False)
    services.update_member(personas["cadre_a"], wife, {"id_number": new_id, "phone": NEW_PHONE})
    services.update_household(personas["cadre_a"], h, phone="13600001111")
    services.change_category(personas["cadre_a"], h, "ordinary",
                             f"经核实户主身份证{old_id}，联系电话13511112222，调整为一般农户")
    return {"household": h, "old_id": old_id, "new_id": new_id}


@pytest.mark.parametrize("persona", ["supervisor", "department", "grid_worker", "contact"])
def test_history_never_shows_full_id_numbers_to_masked_roles_R_SEC_05(login, personas, edited, persona):
    body = login(personas[persona]).get(reverse("registry:household_detail", args=[edited["household"].pk])).content.decode()
    assert "变更记录" in body and "修改成员信息" in body
    for full in (edited["old_id"], edited["new_id"]):
        assert full not in body
        assert full[:4] + "**" in body  # the change is still visible, masked
    if persona in ("supervisor", "department"):  # these roles see phones masked too
        for phone in (NEW_PHONE, "13600001111", "13511112222"):
            assert phone not in body
        assert "137****5678" in body and "135****2222" in body


def test_history_shows_full_numbers_to_roles_that_need_them_R_SEC_05(login, personas, edited):
    body = login(personas["cadre_a"]).get(reverse("registry:household_detail", args=[edited["household"].pk])).content.decode()
    assert edited["new_id"] in body and NEW_PHONE in body and edited["old_id"] in body
    assert "身份证号" in body  # fields are named in Chinese, not by their code names


def test_case_page_masks_free_text_for_masked_roles_R_SEC_05(login, personas, households):
    from fangpin.cases import services as cases
    from tests.cases.conftest import DAY, add_income, application

    h = households["a1"]
    add_income(h, 2026, 5200, purpose="identification")
    head = h.members.get(relation="户主")
    case = cases.open_case(personas["cadre_a"], h, application=application(
        h, reasons=f"户主{head.id_number}住院，电话13955556666"), today=DAY).case
    cases.reject_case(personas["cadre_a"], case, reason=f"与{head.id_number}核对不符", today=DAY)
    body = login(personas["supervisor"]).get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert head.id_number not in body and "13955556666" not in body
    assert head.id_number[:4] + "**" in body
    body = login(personas["cadre_a"]).get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert head.id_number in body


# --- the scrubber and the text masks (R-SEC-05) ---------------------------------------------------


@pytest.mark.parametrize("text", [
    "身份证340621197003050011号", "身份证 340621 19700305 001X", "老身份证340621700305001",
    "电话13955612345", "电话 139 5561 2345", "+86 139-5561-2345", "座机0561-6012345", "银行卡6222021234567890123",
    "卡号 6222 0212 3456 7890",
])
def test_scrubber_removes_typed_personal_numbers_R_SEC_05(text):
    out = scrub_personal_data(text)
    assert "［已隐去］" in out
    assert not any(ch.isdigit() for ch in out.replace("［已隐去］", "")), out
    assert contains_personal_data(text)


@pytest.mark.parametrize("text", [
    "家庭年人均纯收入6000元，高于监测线", "2026年5月11日入户核实", "区划340621100201",
    "医疗支出12000.50元",
])
def test_scrubber_keeps_ordinary_text_R_SEC_05(text):
    assert scrub_personal_data(text) == text


def test_id_mask_in_text_keeps_the_ends():
    assert mask_ids_in_text("号码340621197003050011。") == "号码3406**********0011。"


def test_public_status_never_echoes_typed_personal_data_R_SEC_05(client, personas, households):
    from fangpin.cases import services as cases
    from tests.cases.conftest import DAY, add_income, application

    h = households["a1"]
    add_income(h, 2026, 5200, purpose="identification")
    head = h.members.get(relation="户主")
    case = cases.open_case(personas["cadre_a"], h, application=application(h), today=DAY).case
    reason = f"经核实{head.id_number}名下有车辆，联系13955556666，补助卡6222021234567890123"
    cases.reject_case(personas["cadre_a"], case, reason=reason, today=DAY)
    r = client.post("/cases/status/", {"reference": case.reference, "check_code": case.check_code})
    body = r.content.decode()
    assert "不予纳入" in body and "名下有车辆" in body
    for secret in (head.id_number, "13955556666", "6222021234567890123", head.id_number[-4:] + "号"):
        assert secret not in body
    api = client.get("/api/cases/status", {"reference": case.reference, "check_code": case.check_code})
    assert api.status_code == 200 and "名下有车辆" in api.json()["rejection_reason"]
    assert head.id_number not in api.content.decode() and "13955556666" not in api.content.decode()


# --- no ID-number oracle (R-SEC-04) -----------------------------------------------------------


def test_id_registered_in_another_village_gets_a_neutral_message_and_a_move_request_R_SEC_04(login, personas, households):
    holder = households["a1"].members.get(relation="配偶")
    target = households["b1"]
    client = login(personas["cadre_b"])
    before = Member.objects.count()
    r = client.post(reverse("registry:member_add", args=[target.pk]), _member_data(holder.id_number, name="王秀英"))
    body = r.content.decode()
    assert r.status_code == 200 and "已在其他地区登记" in body and "迁移申请" in body
    for leak in ("蔡桥村", households["a1"].number, "在户", "已离户"):
        assert leak not in body
    assert body.count(holder.id_number) == 1  # only the user's own input, kept in the form
    assert Member.objects.count() == before
    move = MoveRequest.objects.get()
    assert move.id_number == holder.id_number and move.target_household == target
    assert move.holder_member == holder and move.status == "open"
    # The same attempt again does not pile up requests.
    client.post(reverse("registry:member_add", args=[target.pk]), _member_data(holder.id_number, name="王秀英"))
    assert MoveRequest.objects.count() == 1


def test_api_gives_the_same_neutral_answer_R_SEC_04(login, personas, households):
    holder = households["a1"].members.get(relation="户主")
    r = login(personas["cadre_b"]).post(f"/api/households/{households['b1'].pk}/members",
                                        _member_data(holder.id_number), content_type="application/json")
    assert r.status_code == 422
    text = r.json()["detail"]
    assert "已在其他地区登记" in text
    assert "蔡桥村" not in text and households["a1"].number not in text and holder.id_number not in text


def test_inside_the_users_area_the_precise_message_stays_R_SEC_04(login, personas, households):
    holder = households["a1"].members.get(relation="配偶")
    r = login(personas["township_officer"]).post(reverse("registry:member_add", args=[households["b1"].pk]),
                                                 _member_data(holder.id_number, name="王秀英"))
    body = r.content.decode()
    assert "蔡桥村" in body and households["a1"].number in body and "成员迁移" in body
    assert not MoveRequest.objects.exists()


def test_move_request_is_seen_and_completed_by_the_county_office_R_SEC_04(login, personas, households):
    holder = households["a1"].members.get(relation="配偶")
    target = households["b1"]
    login(personas["cadre_b"]).post(reverse("registry:member_add", args=[target.pk]),
                                    _member_data(holder.id_number, name="王秀英", relation="之女"))
    move = MoveRequest.objects.get()
    # The requesting cadre sees the request but nothing of where the person is now.
    cadre = login(personas["cadre_b"])
    body = cadre.get(reverse("registry:move_detail", args=[move.pk])).content.decode()
    assert "待办理" in body and "蔡桥村" not in body and households["a1"].number not in body
    assert cadre.post(reverse("registry:move_approve", args=[move.pk]), {}).status_code == 403
    # Village C's cadre does not even learn that the request exists.
    from fangpin.accounts.roles import Role
    from fangpin.areas.models import Division
    from tests.factories import user

    other = login(user("cadre_c", Role.VILLAGE_CADRE, Division.objects.get(code="340621102201")))
    assert other.get(reverse("registry:move_detail", args=[move.pk])).status_code == 404
    # The county office stands on both sides: one approval moves the person.
    county = login(personas["county_officer"])
    assert "王秀英" in county.get(reverse("registry:move_list")).content.decode()
    r = county.post(reverse("registry:move_approve", args=[move.pk]), {"relation": "之女", "note": "户籍已迁入"})
    assert r.status_code == 302
    holder.refresh_from_db()
    move.refresh_from_db()
    assert holder.household == target and holder.relation == "之女" and move.status == "done"
    assert Event.objects.filter(action="member.move", household=households["a1"]).exists()
    assert Event.objects.filter(action="member.move", household=target).exists()
    # A finished request cannot be acted on again.
    r = county.post(reverse("registry:move_decline", args=[move.pk]), {"reason": "重复"})
    assert "已办结" in r.content.decode()


def test_move_between_counties_needs_both_county_offices_R_SEC_04(login, personas, households):
    from fangpin.accounts.roles import Role
    from fangpin.areas.models import Level
    from fangpin.registry.models import Household
    from tests.factories import division, user

    county2 = division("341502", "金安区", Level.COUNTY, profile_key="jinan")
    t = division("341502100", "城北乡", Level.TOWNSHIP, county2)
    v = division("341502100201", "双塘村", Level.VILLAGE, t)
    g = division("341502100201001", "第一村民小组", Level.GROUP, v)
    h2 = Household.objects.create(number="3415021002010001", village=v, group=g, division_code=g.code, category="ordinary")
    officer2 = user("jinan_county", Role.COUNTY_OFFICE, county2)
    cadre2 = user("jinan_cadre", Role.VILLAGE_CADRE, v)
    holder = households["c1"].members.get(relation="户主")
    r = login(cadre2).post(reverse("registry:member_add", args=[h2.pk]), _member_data(holder.id_number, name="马超", relation="户主"))
    body = r.content.decode()
    assert "已在其他地区登记" in body and "濉溪" not in body and "马桥村" not in body
    move = MoveRequest.objects.get()
    # The receiving county agrees: nothing moves yet.
    c2 = login(officer2)
    assert "濉溪" not in c2.get(reverse("registry:move_detail", args=[move.pk])).content.decode()
    r = c2.post(reverse("registry:move_approve", args=[move.pk]), {"relation": "户主"})
    assert r.status_code == 302, r.content.decode()[-3000:]
    holder.refresh_from_db()
    assert holder.household == households["c1"]
    # The holding county sees where the person is wanted and releases them.
    c1 = login(personas["county_officer"])
    assert "双塘村" in c1.get(reverse("registry:move_detail", args=[move.pk])).content.decode()
    r = c1.post(reverse("registry:move_approve", args=[move.pk]), {})
    assert r.status_code == 302, r.content.decode()[-3000:]
    holder.refresh_from_db()
    move.refresh_from_db()
    assert holder.household == h2 and move.status == "done"


def test_declining_needs_a_reason_and_changes_nothing_else_R_SEC_04(login, personas, households):
    holder = households["a1"].members.get(relation="配偶")
    login(personas["cadre_b"]).post(reverse("registry:member_add", args=[households["b1"].pk]),
                                    _member_data(holder.id_number, name="王秀英"))
    move = MoveRequest.objects.get()
    county = login(personas["county_officer"])
    r = county.post(reverse("registry:move_decline", args=[move.pk]), {"reason": ""})
    assert "必须填写原因" in r.content.decode()
    move.refresh_from_db()
    assert move.status == "open"
    county.post(reverse("registry:move_decline", args=[move.pk]), {"reason": "经核实为同名同号录入错误"})
    move.refresh_from_db()
    holder.refresh_from_db()
    assert move.status == "declined" and holder.household == households["a1"]


@pytest.mark.parametrize("persona", ["supervisor", "department"])
def test_history_api_is_masked_like_the_page_R_SEC_05(login, personas, edited, persona):
    r = login(personas[persona]).get(f"/api/households/{edited['household'].pk}/history")
    assert r.status_code == 200
    text = r.content.decode()
    assert r.json() and any(e["action"] == "member.update" for e in r.json())
    for secret in (edited["old_id"], edited["new_id"], NEW_PHONE, "13600001111", "13511112222"):
        assert secret not in text


def test_history_api_is_scoped_R_SEC_01(login, personas, edited):
    assert login(personas["cadre_b"]).get(f"/api/households/{edited['household'].pk}/history").status_code == 404


def test_move_requests_over_the_api_R_SEC_04(login, personas, households):
    holder = households["a1"].members.get(relation="配偶")
    login(personas["cadre_b"]).post(f"/api/households/{households['b1'].pk}/members",
                                    _member_data(holder.id_number, name="王秀英", relation="之女"),
                                    content_type="application/json")
    move = MoveRequest.objects.get()
    cadre = login(personas["cadre_b"])
    seen = cadre.get(f"/api/move-requests/{move.pk}").json()
    assert seen["holder_place"] == "其他地区" and seen["holder_household_id"] is None
    assert cadre.post(f"/api/move-requests/{move.pk}/approve", {}, content_type="application/json").status_code == 403
    county = login(personas["county_officer"])
    assert [m["id"] for m in county.get("/api/move-requests").json()] == [move.pk]
    r = county.post(f"/api/move-requests/{move.pk}/decline", {"reason": ""}, content_type="application/json")
    assert r.status_code == 422 and "原因" in r.json()["detail"]
    r = county.post(f"/api/move-requests/{move.pk}/approve", {"relation": "之女"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "done"
    holder.refresh_from_db()
    assert holder.household == households["b1"]


def test_open_move_requests_are_pending_for_the_county_office_R_SEC_04(login, personas, households):
    holder = households["a1"].members.get(relation="配偶")
    login(personas["cadre_b"]).post(reverse("registry:member_add", args=[households["b1"].pk]),
                                    _member_data(holder.id_number, name="王秀英"))
    assert "跨地区迁移申请待办理 1 件" in login(personas["county_officer"]).get("/").content.decode()
    assert "跨地区迁移申请待办理" not in login(personas["cadre_b"]).get("/").content.decode()
