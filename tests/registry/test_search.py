"""Household search: household numbers, ID numbers, tags; list rows without per-row queries."""

from fangpin.registry import queries
from fangpin.registry.models import Member
from fangpin.registry.queries import HouseholdFilters, household_page, household_rows, search_households


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
    with django_assert_num_queries(3):  # heads and sizes (one query), place names, the county's profile
        out = household_rows(personas["county_officer"], rows)
    assert {r["category_name"] for r in out} == {"脱贫户", "边缘易致贫户", "一般农户"}


def page_numbers(user, page=1, per_page=2, **filters):
    rows, total, page, pages = household_page(user, HouseholdFilters(**filters), page, per_page)
    return [r["number"] for r in rows], total, page, pages


def test_a_page_walked_in_list_order_is_the_page_of_the_whole_search_R_SEC_01(personas, households, monkeypatch):
    """A large tag or name match is paged by walking the list's order and testing each household
    against the match: the same rows, pages and totals as paging the whole result, still inside the
    user's area."""
    from fangpin.registry import services

    county = personas["county_officer"]
    for key in ("a1", "a2", "c1"):
        services.set_tags(county, households[key], ["rural_dibao"])
    searches = [{"tag": "rural_dibao"}, {"q": "蔡"}, {"q": "蔡", "tag": "rural_dibao"}]
    for walk_from in (10**9, 1):  # the set driving the query, then every page walked in order
        monkeypatch.setattr(queries, "WALK_FROM", walk_from)
        for filters in searches:
            for user in (county, personas["cadre_a"], personas["cadre_b"]):
                whole = numbers(user, **filters)
                for page in (1, 2, 3):
                    got, total, page_no, pages = page_numbers(user, page, **filters)
                    assert total == len(whole)
                    assert got == whole[(page_no - 1) * 2 : page_no * 2], (walk_from, filters, user.username, page)
                    assert page_no == min(page, pages)
    monkeypatch.setattr(queries, "WALK_FROM", 1)
    assert page_numbers(personas["cadre_b"], tag="rural_dibao")[:2] == ([], 0)  # a1, a2, c1 are outside 村B
    assert page_numbers(personas["cadre_a"], per_page=30, tag="rural_dibao")[0] == sorted(
        [households["a1"].number, households["a2"].number]
    )


def test_list_rows_show_each_households_head_and_active_size_R_SEC_03(personas, households):
    from fangpin.registry.models import Member

    a1 = households["a1"]
    Member.objects.filter(household=a1, name="蔡小磊").update(active=False)  # left the household
    Member.objects.filter(household=households["b1"], relation="户主").update(relation="其他")
    everyone = search_households(personas["county_officer"], HouseholdFilters())
    rows = {r["number"]: r for r in household_rows(personas["grid_worker"], everyone)}
    head = Member.objects.get(household=a1, relation="户主")
    assert rows[a1.number]["head_name"] == "蔡德胜" and rows[a1.number]["size"] == 2
    # a grid worker sees the ID number masked
    assert rows[a1.number]["head_id_number"] == head.id_number[:4] + "*" * 10 + head.id_number[-4:]
    assert rows[households["b1"].number]["head_name"] == "（无户主）" and rows[households["b1"].number]["head_id_number"] == ""
    assert rows[households["b1"].number]["size"] == 2


def test_the_division_filter_offers_the_levels_below_the_users_own_down_to_groups_R_SEC_01(login, personas, county, households):
    from fangpin.areas.models import Level
    from tests.factories import division

    division("340621102202", "新<村>&", Level.VILLAGE, county["t2"])
    html = login(personas["county_officer"]).get("/households/", {"division": "340621102"}).content.decode()
    assert '<option value="340621102" selected>韩村镇</option>' in html
    assert '<option value="340621100" >濉溪镇</option>' in html
    assert '<option value="340621100201" >　蔡桥村</option>' in html  # a village, indented under its township
    assert '<option value="340621102202" >　新&lt;村&gt;&amp;</option>' in html  # names are escaped
    assert 'value="340621100201001"' not in html  # groups are three levels below the county

    html = login(personas["cadre_a"]).get("/households/").content.decode()
    assert '<option value="340621100201001" >　　第一村民小组</option>' in html
    assert '<option value="340621100201002" >　　第二村民小组</option>' in html
    for outside in ("34062110020100101", "340621100202", "340621100202001", "340621102", "340621100"):
        assert f'value="{outside}"' not in html


def test_a_name_or_tag_page_tests_member_ids_without_joining_or_sorting_them(personas, households, monkeypatch):
    """The set a page is tested against is the bare ids: no join to households and no sort, which a
    member's default order would add (0.9 s instead of 0.05 s for a common surname in a 300 000-household
    county)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(queries, "WALK_FROM", 1)
    for filters in ({"q": "蔡"}, {"tag": "rural_dibao"}):
        with CaptureQueriesContext(connection) as captured:
            household_page(personas["county_officer"], HouseholdFilters(**filters), 1, 30)
        [page] = [q["sql"] for q in captured.captured_queries if "LIMIT 30" in q["sql"]]
        assert "JOIN" not in page and page.count("ORDER BY") == 1, page
