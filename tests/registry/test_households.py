"""Households, divisions, categories, tags, basic needs, incomes (R-REG-01, R-REG-03, R-REG-04, R-REG-05)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangpin.areas.models import Division, Level
from fangpin.areas.services import next_grid_name
from fangpin.audit.models import Event
from fangpin.registry import services
from fangpin.registry.divisions import create_division
from fangpin.registry.models import Household, IncomeRecord


def test_division_codes_nest_and_the_prefix_is_the_jurisdiction_key_R_REG_01(personas, county):
    village = county["va"]
    group = create_division(personas["township_officer"], parent=village, level=Level.GROUP, code="340621100201003", name="第三村民小组")
    assert group.stat_code == "340621100201003"
    assert county["t1"].stat_code == "340621100000"
    assert [d.name for d in group.path()] == ["濉溪县", "濉溪镇", "蔡桥村", "第三村民小组"]
    assert set(Division.objects.within("340621100201").values_list("code", flat=True)) >= {village.code, group.code}
    with pytest.raises(ValidationError, match="不在上级"):
        create_division(personas["county_officer"], parent=village, level=Level.GROUP, code="340621100202009", name="错组")
    with pytest.raises(ValidationError, match="15位"):
        create_division(personas["county_officer"], parent=village, level=Level.GROUP, code="3406211002010", name="短码")
    with pytest.raises(PermissionDenied):
        create_division(personas["cadre_b"], parent=village, level=Level.GROUP, code="340621100201004", name="越权")


def test_grids_of_one_group_are_numbered_R_GRID_02(county):
    assert next_grid_name(county["ga1"]) == "第一村民小组第二网格"
    assert county["grid_a1"].full_name() == "濉溪县濉溪镇蔡桥村第一村民小组第一网格"


def test_creating_a_household_with_an_unknown_division_code_is_refused(personas, county):
    with pytest.raises(ValidationError) as exc:
        services.create_household(personas["county_officer"], village_code="340621100299", number="9001", category="ordinary")
    assert "340621100299" in exc.value.message_dict["village"][0]
    assert not Household.objects.filter(number="9001").exists()


def test_a_household_is_created_in_the_lowest_division_and_audited(personas, county):
    h = services.create_household(personas["cadre_a"], village_code="340621100201", group_code="340621100201001",
                                  grid_code="34062110020100101", number="3406211002010099", category="formerly_poor")
    assert h.division_code == "34062110020100101"
    assert Event.objects.get(action="household.create", household=h).actor == personas["cadre_a"]
    with pytest.raises(ValidationError, match="已存在"):
        services.create_household(personas["cadre_a"], village_code="340621100201", number="3406211002010099", category="ordinary")


def test_a_category_outside_the_profile_list_is_refused_R_REG_03(personas, county):
    with pytest.raises(ValidationError) as exc:
        services.create_household(personas["cadre_a"], village_code="340621100201", number="77", category="rich")
    assert "类别" in exc.value.message_dict["category"][0]


def test_category_changes_are_kept_as_history_with_the_reason_R_REG_03(personas, households):
    h = households["a1"]
    services.change_category(personas["township_officer"], h, "unstable_formerly_poor", "2026年因病收入骤减")
    h.refresh_from_db()
    assert h.category == "unstable_formerly_poor"
    hist = list(h.history.order_by("history_date").values_list("category", flat=True))
    assert hist[-2:] == ["formerly_poor", "unstable_formerly_poor"] or hist[-1] == "unstable_formerly_poor"
    e = Event.objects.get(action="household.category", household=h)
    assert e.before == {"category": "formerly_poor"} and e.after["reason"] == "2026年因病收入骤减"
    with pytest.raises(ValidationError):
        services.change_category(personas["township_officer"], h, "ordinary", "")


def test_tags_are_set_from_the_tag_list_R_REG_03(personas, households):
    h = households["a1"]
    services.set_tags(personas["cadre_a"], h, ["rural_dibao", "elderly_alone"])
    assert set(h.tags.values_list("name", flat=True)) == {"农村低保", "独居老人"}
    with pytest.raises(ValidationError, match="未知标签"):
        services.set_tags(personas["cadre_a"], h, ["nonsense"])


def test_income_is_saved_with_per_capita_net_income_R_REG_04(personas, households):
    h = households["a1"]  # 3 members
    rec = services.save_income(personas["cadre_a"], h, year=2025, data={
        "wage_other": "15000", "wage_public_welfare": "6000", "production_income": "4000",
        "transfer_pension": "2400", "production_expense": "1500",
    })
    assert rec.household_size == 3
    assert rec.net_income == Decimal("25900.00")
    assert rec.per_capita_net_income == Decimal("8633.33")
    # Same period again replaces the record rather than duplicating it.
    services.save_income(personas["cadre_a"], h, year=2025, data={"wage_other": "3000"})
    assert IncomeRecord.objects.filter(household=h, year=2025).count() == 1
    assert IncomeRecord.objects.get(household=h, year=2025).per_capita_net_income == Decimal("1000.00")


@pytest.mark.parametrize(
    "field, value, message",
    [("wage_other", "-100", "不能为负数"), ("production_income", "三千", "必须是数字"), ("transfer_dibao", "NaN", "必须是数字")],
)
def test_negative_or_non_numeric_income_is_refused_naming_the_field_R_REG_04(personas, households, field, value, message):
    with pytest.raises(ValidationError) as exc:
        services.save_income(personas["cadre_a"], households["a1"], year=2025, data={field: value})
    assert message in exc.value.message_dict[field][0]
    assert not IncomeRecord.objects.exists()


def test_monthly_income_needs_a_month(personas, households):
    with pytest.raises(ValidationError) as exc:
        services.save_income(personas["cadre_a"], households["a1"], year=2026, period="month", data={})
    assert "month" in exc.value.message_dict
    rec = services.save_income(personas["cadre_a"], households["a1"], year=2026, period="month", month=10, data={"wage_other": "2000"})
    assert rec.month == 10


def test_basic_needs_and_water_status_are_recorded_R_REG_05(personas, households):
    h = households["a2"]
    services.update_basic_needs(personas["cadre_a"], h, {"food_secure": True, "clothing_secure": True, "education_secure": True,
                                                         "medical_secure": False, "housing_grade": "C", "water_secure": True})
    h.refresh_from_db()
    assert h.housing_grade == "C" and h.housing_safe is False and h.medical_secure is False
    assert h.basic_needs_checked_on is not None
    with pytest.raises(ValidationError):
        services.update_basic_needs(personas["cadre_a"], h, {"housing_grade": "E"})
