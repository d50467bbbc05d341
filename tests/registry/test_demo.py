"""The demo county generator and the demo accounts (build_demo, demo_logins)."""

import datetime as dt
import io
import re
from collections import Counter

import pytest
from django.core.management import call_command

from fangpin.accounts.demo import DEMO_PASSWORD
from fangpin.accounts.models import User
from fangpin.accounts.roles import Role
from fangpin.areas.models import Division, Level
from fangpin.audit.models import Event
from fangpin.policy.idnumbers import parse_id_number
from fangpin.policy.income import INCOME_FIELDS, summarize
from fangpin.profiles.services import profile_by_key
from fangpin.registry.demo import BUILD_ACTION, DemoError, build_demo, county_fingerprint
from fangpin.registry.models import Household, IncomeRecord, Member, MonitoringStatus

AS_OF = dt.date(2026, 6, 30)
SUIXI = "340621"


def build(households=300, seed=7, profile="suixi", **kw):
    return build_demo(profile, households, seed, as_of=AS_OF, **kw)


def age(birth):
    return AS_OF.year - birth.year - ((AS_OF.month, AS_OF.day) < (birth.month, birth.day))


@pytest.mark.django_db
def test_it_builds_the_same_county_twice_for_a_seed():
    first = build()
    assert first.built and first.households == 300
    fingerprint = county_fingerprint(SUIXI)
    again = build(force=True)
    assert again.households == 300 and again.members == first.members
    assert county_fingerprint(SUIXI) == fingerprint
    build(seed=8, force=True)
    assert county_fingerprint(SUIXI) != fingerprint


@pytest.mark.django_db
def test_it_uses_real_townships_and_synthetic_villages_groups_grids():
    build()
    county = Division.objects.get(code=SUIXI)
    assert county.name == "濉溪县" and county.profile_key == "suixi"
    townships = dict(Division.objects.filter(level=Level.TOWNSHIP).values_list("code", "name"))
    assert townships["340621100"] == "濉溪镇" and townships["340621102"] == "韩村镇"
    for d in Division.objects.within(SUIXI).exclude(level=Level.COUNTY).select_related("parent"):
        assert d.code.startswith(d.parent.code) and d.parent.level == d.level - 1
    for grid in Division.objects.filter(level=Level.GRID).select_related("parent"):
        assert re.fullmatch(re.escape(grid.parent.name) + r"第[一二三四五六七八九十]+网格", grid.name)  # R-GRID-02
    assert all(re.fullmatch(r".+(村|社区)", n) for n in Division.objects.filter(level=Level.VILLAGE).values_list("name", flat=True))


@pytest.mark.django_db
def test_it_makes_a_county_the_division_table_lacks():
    result = build(households=120, profile="suyuan")
    assert result.households == 120
    townships = Division.objects.filter(level=Level.TOWNSHIP, code__startswith="130690")
    assert townships.count() >= 9
    assert all(t.name.endswith(("镇", "乡")) for t in townships)


@pytest.mark.django_db
def test_it_makes_valid_unique_id_numbers_with_the_county_region_code():
    build()
    rows = list(Member.objects.values_list("id_number", "sex", "birth_date"))
    assert len(rows) == len({r[0] for r in rows})
    for number, sex, birth in rows:
        info = parse_id_number(number, AS_OF)
        assert number.startswith(SUIXI)
        assert info.sex == sex and info.birth_date == birth


@pytest.mark.django_db
def test_every_household_has_one_head_and_at_most_one_spouse_of_the_other_sex():
    build()
    members = Member.objects.values_list("household_id", "relation", "sex", "birth_date")
    by_household = {}
    for hid, relation, sex, birth in members:
        by_household.setdefault(hid, []).append((relation, sex, birth))
    assert set(by_household) == set(Household.objects.values_list("id", flat=True))
    for people in by_household.values():
        assert 1 <= len(people) <= 7
        heads = [p for p in people if p[0] == "户主"]
        spouses = [p for p in people if p[0] == "配偶"]
        assert len(heads) == 1 and len(spouses) <= 1
        head = heads[0]
        if spouses:
            assert spouses[0][1] != head[1]
        head_age = age(head[2])
        for relation, sex, birth in people:
            if relation in ("之子", "之女"):
                assert head_age - age(birth) >= 15
            if relation in ("之孙子", "之孙女"):
                assert head_age - age(birth) >= 30
            if relation in ("之父", "之母"):
                assert age(birth) - head_age >= 15
            if relation in ("之子", "之孙子", "之父"):
                assert sex == "男"
            if relation in ("之女", "之孙女", "之母", "之儿媳"):
                assert sex == "女"


@pytest.mark.django_db
def test_member_fields_fit_age_schooling_and_health():
    build()
    phone = re.compile(r"^1[3-9]\d{9}$")
    for m in Member.objects.all():
        a = age(m.birth_date)
        assert not (m.education and m.student_status), "在校生不填文化程度"
        if 6 <= a <= 14:
            assert m.student_status and not m.education
        if a < 16:
            assert m.labour == "无劳动力"
        if a >= 70:
            assert m.labour not in ("普通劳动力", "技能劳动力")
        if "残疾" in m.health:
            assert m.disability_grade
        else:
            assert not m.disability_grade
        if m.disability_grade in ("一级", "二级"):
            assert m.labour in ("丧失劳动力", "无劳动力")
        assert not (m.dibao and m.tekun)
        if m.phone:
            assert phone.match(m.phone) and a >= 18
    for h in Household.objects.exclude(phone=""):
        assert phone.match(h.phone)


@pytest.mark.django_db
def test_every_household_is_in_one_grid_within_the_hard_maximum():
    build(households=1500)
    hard_max = profile_by_key("suixi").param("grid.households_hard_max")
    grids = {d.pk: d for d in Division.objects.filter(level=Level.GRID)}
    counts = Counter()
    for h in Household.objects.all():
        assert h.grid_id in grids  # R-GRID-06
        grid = grids[h.grid_id]
        assert h.division_code == grid.code
        assert grid.parent_id == h.group_id
        assert h.number.startswith(h.division_code[:12])
        counts[h.grid_id] += 1
    assert max(counts.values()) <= hard_max
    assert set(counts) == set(grids)


@pytest.mark.django_db
def test_category_shares_tags_and_incomes_are_realistic():
    build(households=1500)
    profile = profile_by_key("suixi")
    n = Household.objects.count()
    cats = Counter(Household.objects.values_list("category", flat=True))
    poor = cats["formerly_poor"] + cats["unstable_formerly_poor"]
    monitored = Household.objects.filter(category__in=profile.monitored_categories())
    assert 0.15 <= poor / n <= 0.25
    assert 0.01 <= monitored.count() / n <= 0.03
    assert cats["ordinary"] / n > 0.7
    for h in monitored:
        assert h.monitoring_status in (MonitoringStatus.MONITORED, MonitoringStatus.ELIMINATED)
        assert h.included_on and h.risk_types
        if h.monitoring_status == MonitoringStatus.ELIMINATED:
            assert h.elimination_mode and h.eliminated_on > h.included_on
    assert not Household.objects.filter(category__in=["ordinary", "formerly_poor"]).exclude(monitoring_status="none").exists()
    dibao = Household.objects.filter(tags__code="rural_dibao").count()
    assert 0.02 <= dibao / n <= 0.09
    assert set(Household.objects.filter(tags__code="rural_dibao").values_list("id", flat=True)) == set(
        Member.objects.filter(dibao=True).values_list("household_id", flat=True)
    )
    severe = set(Member.objects.filter(disability_grade__in=["一级", "二级"]).values_list("household_id", flat=True))
    assert severe == set(Household.objects.filter(tags__code="severe_disability").values_list("id", flat=True))
    # Incomes: the previous year for every formerly poor and monitored household (R-REG-04).
    line = float(profile.for_year("income.monitoring_line", AS_OF.year - 1))
    with_income = set(IncomeRecord.objects.filter(year=AS_OF.year - 1).values_list("household_id", flat=True))
    assert set(Household.objects.exclude(category="ordinary").values_list("id", flat=True)) <= with_income
    per_capita = []
    for rec in IncomeRecord.objects.select_related("household"):
        parts = {f: getattr(rec, f) for f in INCOME_FIELDS}
        assert rec.household_size == rec.household.members.count()
        assert summarize(parts, rec.household_size).per_capita == rec.per_capita_net_income
        value = float(rec.per_capita_net_income)
        per_capita.append(value)
        if rec.household.monitoring_status == MonitoringStatus.ELIMINATED:
            assert value > line
    assert sum(8_000 <= v <= 30_000 for v in per_capita) / len(per_capita) > 0.8
    # Households the demo identified through the procedure (cases.demo: filed for expenses or sudden
    # hardship) are not the generator's; its own monitored households have incomes near the line.
    generated = IncomeRecord.objects.filter(household__monitoring_status="monitored").exclude(household__cases__status="filed")
    under_watch = [float(r.per_capita_net_income) for r in generated]
    assert under_watch and sum(v <= line * 1.1 for v in under_watch) / len(under_watch) > 0.7
    grades = Counter(Household.objects.values_list("housing_grade", flat=True))
    assert grades["A"] + grades["B"] > 10 * (grades["C"] + grades["D"])


@pytest.mark.django_db
def test_demo_users_exist_with_their_roles_and_divisions():
    build()
    users = {u.username: u for u in User.objects.select_related("division")}
    expected = {
        "county": (Role.COUNTY_OFFICE, Level.COUNTY),
        "township": (Role.TOWNSHIP_STAFF, Level.TOWNSHIP),
        "cadre": (Role.VILLAGE_CADRE, Level.VILLAGE),
        "grid": (Role.GRID_WORKER, Level.GRID),
        "contact": (Role.ASSISTANCE_CONTACT, Level.VILLAGE),
        "yibao": (Role.DEPARTMENT_OFFICER, Level.COUNTY),
        "supervisor": (Role.SUPERVISOR, Level.COUNTY),
        "admin": (Role.ADMINISTRATOR, Level.COUNTY),
    }
    for username, (role, level) in expected.items():
        u = users[username]
        assert u.role == role and u.division.level == level and u.division.code.startswith(SUIXI)
        assert u.display_name
    assert users["county"].check_password(DEMO_PASSWORD) and users["admin"].check_password(DEMO_PASSWORD)
    assert users["township"].division.code == "340621100"
    assert users["cadre"].division.parent_id == users["township"].division_id
    assert users["grid"].division.code.startswith(users["cadre"].division.code)
    assert users["contact"].division == users["cadre"].division
    assert users["yibao"].department == "医保局"
    assert users["admin"].is_staff and users["admin"].is_superuser
    assert not users["county"].is_staff
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text and DEMO_PASSWORD in text
    assert "县乡村振兴局" in text and "濉溪县濉溪镇" in text


@pytest.mark.django_db
def test_if_empty_is_idempotent_and_a_second_build_needs_force():
    out = io.StringIO()
    call_command("build_demo", households=300, seed=7, as_of=AS_OF.isoformat(), no_progress=True, stdout=out)
    assert "300户" in out.getvalue()
    fingerprint = county_fingerprint(SUIXI)
    users = User.objects.count()
    out = io.StringIO()
    call_command("build_demo", households=900, seed=9, if_empty=True, no_progress=True, stdout=out)
    assert "未重新生成" in out.getvalue()
    assert Household.objects.count() == 300 and county_fingerprint(SUIXI) == fingerprint
    assert User.objects.count() == users
    with pytest.raises(DemoError, match="--force"):
        build()
    assert Event.objects.filter(action=BUILD_ACTION, division_code=SUIXI).count() == 1


@pytest.mark.django_db
def test_force_rebuild_never_touches_the_audit_trail_and_refuses_real_data():
    from fangpin.registry import services

    build()
    build(force=True)  # untouched demo county: rebuilt
    assert Event.objects.filter(action="demo.wipe").count() == 1
    officer = User.objects.get(username="county")
    h = Household.objects.order_by("id").first()
    services.update_household(officer, h, address="演示地址")
    event = Event.objects.get(action="household.update")
    households = Household.objects.count()
    # Someone worked in the demo county: its audit trail is append-only, so no wipe.
    with pytest.raises(DemoError, match="操作留痕"):
        build(force=True)
    event.refresh_from_db()
    assert event.household_id == h.pk and Household.objects.count() == households
    # A county whose households were not generated by build_demo is never wiped.
    from tests.factories import household

    jinan = Division.objects.create(code="341502", name="金安区", level=Level.COUNTY)
    town = Division.objects.create(code="341502100", name="木厂镇", level=Level.TOWNSHIP, parent=jinan)
    village = Division.objects.create(code="341502100201", name="甲村", level=Level.VILLAGE, parent=town)
    group = Division.objects.create(code="341502100201001", name="第一村民小组", level=Level.GROUP, parent=village)
    grid = Division.objects.create(code="34150210020100101", name="第一村民小组第一网格", level=Level.GRID, parent=group)
    household(grid, "3415021002010001", "张三")
    with pytest.raises(DemoError, match="拒绝清空"):
        build(profile="jinan", force=True)
    assert Household.objects.filter(division_code__startswith="341502").count() == 1


@pytest.mark.django_db
def test_a_second_demo_county_in_the_same_database_takes_the_demo_logins_R_GRID_03():
    from fangpin.areas.models import GridWorker

    build(households=200, profile="suixi")
    build(households=200, profile="fengdu")
    grid = User.objects.select_related("division").get(username="grid")
    assert grid.division.code.startswith("500230")
    assert GridWorker.objects.get(user=grid).grid_id == grid.division_id
