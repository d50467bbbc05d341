"""Members: ID validation, one household per person, value lists, moves (R-REG-02, R-REG-02a)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangpin.audit.models import Event
from fangpin.policy.idnumbers import make_id_number
from fangpin.registry import services
from fangpin.registry.models import Member, MemberMove, Term

NEW_ID = make_id_number("340621", dt.date(2001, 7, 15), 401, male=False)


def member_data(**kw):
    return {"id_number": NEW_ID, "name": "蔡小芳", "relation": "之女", "ethnicity": "汉族", "education": "大专",
            "health": "健康", "labour": "普通劳动力", **kw}


def test_sex_and_birth_date_come_from_the_id_number_R_REG_02(personas, households):
    m = services.add_member(personas["cadre_a"], households["a1"], member_data())
    assert (m.sex, m.birth_date) == ("女", dt.date(2001, 7, 15))


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("id_number", NEW_ID[:17] + ("0" if NEW_ID[17] != "0" else "1"), "校验位"),
        ("id_number", "340621200102300021", "出生日期"),
        ("sex", "男", "与身份证号不符"),
        ("birth_date", "2001-07-16", "与身份证号不符"),
        ("labour", "很强", "劳动技能"),
        ("health", "健康,头疼", "健康状况"),
        ("phone", "12345", "联系电话格式不正确"),
        ("months_worked", "13", "务工时间"),
        ("relation", "户主", "已有户主"),
        ("name", "", "姓名不能为空"),
    ],
)
def test_bad_member_input_names_the_field_and_saves_nothing_R_REG_02(personas, households, field, value, message):
    before_members, before_events = Member.objects.count(), Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.add_member(personas["cadre_a"], households["a1"], member_data(**{field: value}))
    assert field in exc.value.message_dict
    assert message in exc.value.message_dict[field][0]
    assert (Member.objects.count(), Event.objects.count()) == (before_members, before_events)


def test_a_duplicate_id_is_refused_naming_the_household_that_holds_it_R_REG_02(personas, households):
    holder = households["b1"].members.get(relation="户主")
    with pytest.raises(ValidationError) as exc:
        services.add_member(personas["county_officer"], households["a1"], member_data(id_number=holder.id_number))
    msg = exc.value.message_dict["id_number"][0]
    assert households["b1"].number in msg and "任集村" in msg


def test_a_member_cannot_be_added_to_a_household_outside_the_users_area(personas, households):
    with pytest.raises(PermissionDenied):
        services.add_member(personas["cadre_a"], households["b1"], member_data())
    assert not Member.objects.filter(id_number=NEW_ID).exists()


def test_value_lists_are_data_an_admin_can_extend_R_REG_02a(personas, households):
    with pytest.raises(ValidationError):
        services.add_member(personas["cadre_a"], households["a1"], member_data(employment="网约车司机"))
    Term.objects.create(vocabulary="employment", value="网约车司机", position=50)
    m = services.add_member(personas["cadre_a"], households["a1"], member_data(employment="网约车司机"))
    assert m.employment == "网约车司机"


def test_a_student_has_no_education_level_R_REG_02a(personas, households):
    with pytest.raises(ValidationError) as exc:
        services.add_member(personas["cadre_a"], households["a1"], member_data(student_status="本科二年级"))
    assert "在校生" in exc.value.message_dict["education"][0]


def test_moving_a_member_keeps_one_household_and_records_history_R_REG_02(personas, households):
    son = households["a1"].members.get(relation="之子")
    services.move_member(personas["township_officer"], son, households["b1"], "之女婿", "婚后迁入任集村")
    son.refresh_from_db()
    assert son.household == households["b1"] and son.relation == "之女婿"
    move = MemberMove.objects.get(member=son)
    assert (move.from_household, move.to_household, move.reason) == (households["a1"], households["b1"], "婚后迁入任集村")
    assert Event.objects.filter(action="member.move", household=households["a1"]).exists()
    assert Event.objects.filter(action="member.move", household=households["b1"]).exists()


def test_a_village_cadre_cannot_move_a_member_into_another_village(personas, households):
    son = households["a1"].members.get(relation="之子")
    with pytest.raises(PermissionDenied):
        services.move_member(personas["cadre_a"], son, households["b1"], "之子", "迁移")
    son.refresh_from_db()
    assert son.household == households["a1"]


def test_removing_a_member_keeps_the_row_and_the_reason(personas, households):
    spouse = households["b1"].members.get(relation="配偶")
    services.remove_member(personas["cadre_b"], spouse, "死亡")
    spouse.refresh_from_db()
    assert (spouse.active, spouse.left_reason) == (False, "死亡")
    with pytest.raises(ValidationError):
        services.remove_member(personas["cadre_b"], spouse, "死亡")
