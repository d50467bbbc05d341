"""Household search: household numbers, ID numbers, tags; list rows without per-row queries."""

from fangpin.registry.models import Member
from fangpin.registry.queries import HouseholdFilters, household_rows, search_households


def numbers(user, **filters):
    return sorted(search_households(user, HouseholdFilters(**filters)).values_list("number", flat=True))


def test_a_full_household_number_finds_its_household(personas, households, login):
    county = personas["county_officer"]
    number = households["b1"].number  # 16 digits: village code + serial, as long as an ID prefix
    assert numbers(county, q=number) == [number]
    assert login(county).get("/api/households", {"q": number}).json()["total"] == 1
    assert "共 1 户" in login(county).get("/households/", {"q": number}).content.decode()


def test_full_and_partial_id_numbers_still_find_the_household(personas, households):
    county = personas["county_officer"]
    head = Member.objects.get(household=households["a2"], relation="户主")
    assert numbers(county, q=head.id_number) == [households["a2"].number]
    assert households["a2"].number in numbers(county, q=head.id_number[:16])


def test_a_number_search_never_crosses_the_users_area_R_SEC_01(personas, households):
    cadre_b = personas["cadre_b"]
    head_a = Member.objects.get(household=households["a1"], relation="户主")
    assert numbers(cadre_b, q=households["a1"].number) == []
    assert numbers(cadre_b, q=head_a.id_number) == []
    assert numbers(cadre_b, q=households["b1"].number) == [households["b1"].number]


def test_tag_filter_and_an_unknown_tag(personas, households):
    from fangpin.registry import services

    county = personas["county_officer"]
    services.set_tags(county, households["a1"], ["rural_dibao", "serious_illness"])
    services.set_tags(county, households["c1"], ["rural_dibao"])
    assert numbers(county, tag="rural_dibao") == sorted([households["a1"].number, households["c1"].number])
    assert numbers(personas["cadre_a"], tag="rural_dibao") == [households["a1"].number]
    assert numbers(county, tag="no_such_tag") == []


def test_list_rows_look_up_the_county_profile_once_not_per_row(personas, households, django_assert_num_queries,
                                                               settings):
    from fangpin.profiles import stamps
    from fangpin.profiles.services import profile_for_county

    # This process has just compared the change stamps: none is read again during the measurement.
    settings.FANGPIN_CACHE_RECHECK_SECONDS = 3600
    stamps.ensure_fresh()
    profile_for_county.cache_clear()
    rows = list(search_households(personas["county_officer"], HouseholdFilters()))
    assert len({h.division_code for h in rows}) == 4  # four grids
    with django_assert_num_queries(4):  # heads, sizes, place names, the county's profile
        out = household_rows(personas["county_officer"], rows)
    assert {r["category_name"] for r in out} == {"脱贫户", "边缘易致贫户", "一般农户"}
