"""A user above county level (city, province, whole-system accounts) works with the profile of the
county of the object at hand, never with whichever profile happened to load first (R-SEC-01)."""

import pytest
from django.conf import settings

from fangpin.accounts.roles import Role
from fangpin.areas.models import Level
from fangpin.profiles.services import load_profiles
from fangpin.web import categories_for_user, profile_for_user, profiles_for_user
from tests.factories import division, user

UNIFIED = (
    'key = "unified"\nname = "统一类别县"\ncounty_code = "341698"\n'
    '[categories]\nhousehold = [ { code = "ordinary", name = "一般农户", monitored = false },'
    ' { code = "formerly_poor", name = "脱贫人口户", monitored = false },'
    ' { code = "prevention_target", name = "防止返贫致贫对象", monitored = true } ]\n'
)


@pytest.fixture
def two_counties(county, tmp_path):
    """濉溪 (340621) and a second county of the same province whose categories differ (341698, another city)."""
    (tmp_path / "_defaults.toml").write_text((settings.PROFILES_DIR / "_defaults.toml").read_text(encoding="utf-8"),
                                             encoding="utf-8")
    (tmp_path / "unified.toml").write_text(UNIFIED, encoding="utf-8")
    load_profiles(tmp_path)
    return county


@pytest.fixture
def above_county(two_counties):
    city = division("3406", "淮北市", Level.COUNTY)
    province = division("34", "安徽省", Level.COUNTY)
    return {
        "city": user("city", Role.COUNTY_OFFICE, city, display_name="市乡村振兴局"),
        "province": user("province", Role.SUPERVISOR, province, display_name="省督导组"),
        "system": user("sysadmin", Role.ADMINISTRATOR, None, is_staff=True, is_superuser=True),
    }


def test_a_user_above_county_level_has_no_single_profile_R_SEC_01(above_county, personas):
    assert profile_for_user(personas["cadre_a"]).key == "suixi"
    assert profile_for_user(personas["county_officer"]).key == "suixi"
    for u in above_county.values():
        assert profile_for_user(u) is None


def test_the_profiles_of_a_user_are_those_of_the_counties_in_their_area_R_SEC_01(above_county, personas):
    assert [p.key for p in profiles_for_user(personas["township_officer"])] == ["suixi"]
    assert [p.key for p in profiles_for_user(above_county["city"])] == ["suixi"]
    assert [p.key for p in profiles_for_user(above_county["province"])] == ["suixi", "jinan", "unified"]
    keys = {p.key for p in profiles_for_user(above_county["system"])}
    assert keys >= {"suixi", "unified", "jinan", "fengdu", "mucang", "suyuan"}


def test_a_province_user_filters_households_by_the_union_of_county_categories_R_SEC_01(above_county, personas, client,
                                                                                         households):
    county_cats = dict(categories_for_user(personas["county_officer"]))
    assert "prevention_target" not in county_cats and county_cats["formerly_poor"] == "脱贫户"
    province = dict(categories_for_user(above_county["province"]))
    assert province["prevention_target"] == "防止返贫致贫对象"
    assert province["formerly_poor"] == "脱贫户／脱贫人口户"  # same code, named differently by the counties
    assert "unstable_formerly_poor" in province
    client.force_login(above_county["province"])
    page = client.get("/households/")
    assert page.status_code == 200
    assert dict(page.context["categories"]) == province
    client.force_login(above_county["city"])
    assert dict(client.get("/households/").context["categories"]) == dict(categories_for_user(personas["cadre_a"]))


def test_a_province_user_sees_the_procedure_of_each_county_in_the_province_R_SEC_01(above_county, client):
    client.force_login(above_county["province"])
    page = client.get("/cases/procedure/")
    names = [d["profile"].key for d in page.context["described"]]
    assert names == ["suixi", "jinan", "unified"]
    client.force_login(above_county["city"])
    assert [d["profile"].key for d in client.get("/cases/procedure/").context["described"]] == ["suixi"]


def test_a_city_user_acts_on_a_case_with_its_countys_profile_R_SEC_01(above_county, households, client):
    """Pages about one household or case use that county's profile, whoever loaded first."""
    client.force_login(above_county["city"])
    page = client.get(f"/households/{households['a1'].pk}/")
    assert page.status_code == 200 and page.context["category_name"] == "脱贫户"
    client.force_login(above_county["system"])
    assert client.get(f"/households/{households['a1'].pk}/").context["category_name"] == "脱贫户"


def test_the_case_list_of_a_province_user_offers_the_steps_of_every_county_R_SEC_01(above_county, client):
    client.force_login(above_county["province"])
    page = client.get("/cases/")
    assert page.status_code == 200
    keys = [k for k, _ in page.context["steps"]]
    assert len(keys) == len(set(keys)) and "application" in keys and "county_filing" in keys


def test_a_province_officer_changes_a_households_category_among_its_countys_categories_R_SEC_01(
        above_county, households, client):
    officer = user("province_officer", Role.COUNTY_OFFICE, above_county["province"].division,
                   display_name="省乡村振兴局")
    client.force_login(officer)
    page = client.get(f"/households/{households['a1'].pk}/category/")
    assert page.status_code == 200
    choices = dict(page.context["form"].fields["category"].choices)
    assert "prevention_target" not in choices and choices["formerly_poor"] == "脱贫户"
