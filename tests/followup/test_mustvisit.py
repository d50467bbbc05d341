"""Must-visit lists (R-DISC-05): each criterion of 六个必访 / 十必访 puts the right household on the list
with its reason and values; last visit, overdue ordering, and each user sees only their own area."""

import datetime as dt

import pytest
from django.utils import timezone

from fangpin.followup import services
from fangpin.followup.models import MustVisitEntry, MustVisitRun, Visit
from fangpin.followup.mustvisit import Scope, compute, compute_county
from fangpin.followup.selectors import decorate_entries, must_visits_for, overdue_cutoff
from fangpin.registry.models import MemberMove, Tag
from tests.cases.conftest import add_income

DAY = dt.date(2026, 11, 20)


def entries():
    compute_county("340621", as_of=DAY)
    return {e.household_id: e for e in MustVisitEntry.objects.all()}


def hits(entry) -> dict[str, list[str]]:
    return {f"{r['list']}:{r['code']}": r["details"] for r in entry.reasons}


def visit(household, days_ago, **kw):
    return Visit.objects.create(household=household, division_code=household.division_code,
                                visited_on=DAY - dt.timedelta(days=days_ago), mode="home", purpose="routine",
                                visitor_name="测试", **kw)


def test_a_plain_household_is_on_no_list_R_DISC_05(households):
    assert entries() == {}
    run = MustVisitRun.objects.get()
    assert run.households == 0 and run.params["lists"][0]["name"] == "六个必访"


def test_tag_petition_puts_the_household_on_ten_must_visit_R_DISC_05(households):
    h = households["a1"]
    h.tags.add(Tag.objects.get(code="petition"))
    e = entries()[h.pk]
    assert hits(e) == {"ten:petition": ["标签：涉诉涉访"]}
    assert e.list_codes == ",ten," and e.division_code == h.division_code


def test_risk_type_disaster_is_on_both_lists_R_DISC_05(households):
    h = households["a2"]
    h.risk_types = ["因自然灾害", "因病"]
    h.save()
    got = hits(entries()[h.pk])
    assert got == {"six:disaster": ["风险类型：因自然灾害"], "ten:disaster": ["风险类型：因自然灾害"]}


def test_member_health_serious_and_chronic_illness_R_DISC_05(households):
    h = households["a1"]
    h.members.filter(relation="配偶").update(health="长期慢性病")
    got = hits(entries()[h.pk])
    assert got == {"ten:illness": ["王秀英：长期慢性病"]}  # chronic illness is not a sudden serious one
    h.members.filter(relation="配偶").update(health="患有大病")
    got = hits(entries()[h.pk])
    assert got["six:sudden_illness"] == ["王秀英：患有大病"] and got["ten:illness"] == ["王秀英：患有大病"]


@pytest.mark.parametrize("grade,expected", [("二级", {"six:severe_disability", "ten:disability"}),
                                            ("四级", {"ten:disability"})])
def test_disability_grade_R_DISC_05(households, grade, expected):
    h = households["b1"]
    h.members.filter(relation="配偶").update(disability_grade=grade)
    got = hits(entries()[h.pk])
    assert set(got) == expected
    assert got["ten:disability"] == [f"李桂兰：残疾等级{grade}"]


def test_college_student_R_DISC_05(households):
    h = households["a1"]
    h.members.filter(relation="之子").update(student_status="本科二年级")
    assert hits(entries()[h.pk]) == {"ten:college_student": ["蔡小磊：本科二年级"]}


def test_unemployed_working_age_member_is_unstable_employment_R_DISC_05(households):
    h = households["a1"]
    h.members.filter(relation="之子").update(employment="未就业", labour="普通劳动力")
    assert hits(entries()[h.pk]) == {"ten:unstable_employment": ["蔡小磊：未就业（普通劳动力，28岁）"]}
    h.members.filter(relation="之子").update(labour="丧失劳动力")  # cannot work: not an employment risk
    assert h.pk not in entries()


def test_elderly_living_alone_R_DISC_05(households):
    h = households["c1"]
    h.members.update(birth_date=dt.date(1950, 1, 1))
    assert hits(entries()[h.pk]) == {"six:elderly_alone": ["马超独自居住，76岁（≥60岁）"]}
    h2 = households["b1"]  # two old people together do not live alone
    h2.members.update(birth_date=dt.date(1940, 1, 1))
    assert h2.pk not in entries()


def test_member_leaving_recently_is_a_major_family_change_R_DISC_05(households):
    h = households["b1"]
    spouse = h.members.get(relation="配偶")
    move = MemberMove.objects.create(member=spouse, from_household=h, reason="死亡")
    assert hits(entries()[h.pk])["six:family_change"][0].endswith("李桂兰离户：死亡")
    MemberMove.objects.filter(pk=move.pk).update(moved_at=timezone.now() - dt.timedelta(days=400))
    assert h.pk not in entries()  # older than must_visit.recent_days


def test_low_income_below_the_monitoring_line_R_DISC_05(households):
    h = households["a1"]
    add_income(h, 2024, 9000)
    add_income(h, 2025, 5000)  # latest year counts: 5000 < 7600 (濉溪 2025)
    assert hits(entries()[h.pk]) == {"ten:low_income": ["2025年人均纯收入5,000.00元，低于监测线7,600元"]}
    add_income(h, 2026, 8200)
    assert h.pk not in entries()


def test_risk_found_on_a_recent_visit_R_DISC_05(households):
    h = households["c1"]
    visit(h, 400, risk_found=True, risk_types=["因意外事故"])
    assert h.pk not in entries()
    visit(h, 10, risk_found=True, risk_types=["因意外事故"])
    got = hits(entries()[h.pk])
    assert got["ten:accident"] == ["2026-11-10走访发现：因意外事故"]
    assert "six:family_change" in got


def test_last_visit_and_overdue_first_R_DISC_05(households, personas):
    for key in ("a1", "a2", "b1"):
        households[key].tags.add(Tag.objects.get(code="rural_dibao"))
    visit(households["a2"], 30)
    visit(households["a2"], 40)
    visit(households["b1"], 3)
    compute_county("340621", as_of=DAY)
    officer = personas["county_officer"]
    order = list(must_visits_for(officer).values_list("household_id", flat=True))
    assert order == [households["a1"].pk, households["a2"].pk, households["b1"].pk]
    shown = decorate_entries(must_visits_for(officer).select_related("household"), DAY)
    assert [(e.last_visited_on, e.overdue, e.remaining) for e in shown] == [
        (None, True, "从未走访"), (DAY - dt.timedelta(days=30), True, "逾期15天"),
        (DAY - dt.timedelta(days=3), False, "还有12天")]
    cutoff = overdue_cutoff(officer, DAY)
    assert set(must_visits_for(officer, overdue_before=cutoff).values_list("household_id", flat=True)) == {
        households["a1"].pk, households["a2"].pk}


def test_recording_a_visit_moves_the_last_visit_forward_R_DISC_05(households, personas):
    h = households["a1"]
    h.tags.add(Tag.objects.get(code="petition"))
    compute_county("340621", as_of=DAY)
    services.record_visit(personas["grid_worker"], h, {"visited_on": DAY.isoformat(), "mode": "phone",
                                                        "purpose": "must_visit"}, today=DAY)
    assert MustVisitEntry.objects.get(household=h).last_visited_on == DAY


def test_each_user_sees_only_their_area_R_DISC_05(households, personas):
    for h in households.values():
        h.tags.add(Tag.objects.get(code="petition"))
    compute_county("340621", as_of=DAY)
    seen = {who: set(must_visits_for(personas[who]).values_list("household_id", flat=True))
            for who in ("grid_worker", "cadre_a", "cadre_b", "township_officer", "county_officer")}
    assert seen["grid_worker"] == {households["a1"].pk}
    assert seen["cadre_a"] == {households["a1"].pk, households["a2"].pk}
    assert seen["cadre_b"] == {households["b1"].pk}
    assert seen["township_officer"] == {households[k].pk for k in ("a1", "a2", "b1")}
    assert seen["county_officer"] == {h.pk for h in households.values()}


def test_recomputing_a_few_households_leaves_the_others_R_DISC_05(households):
    for h in households.values():
        h.tags.add(Tag.objects.get(code="petition"))
    compute_county("340621", as_of=DAY)
    households["a1"].tags.clear()
    compute(Scope(household_ids=(households["a1"].pk,)), county_code="340621", as_of=DAY)
    assert set(MustVisitEntry.objects.values_list("household_id", flat=True)) == {
        households[k].pk for k in ("a2", "b1", "c1")}


def test_must_visit_page_for_a_grid_worker_R_DISC_05(households, personas, login):
    for h in households.values():
        h.tags.add(Tag.objects.get(code="petition"))
    compute_county("340621", as_of=DAY)
    r = login(personas["grid_worker"]).get("/visits/")
    body = r.content.decode()
    assert r.status_code == 200
    assert f"户{households['a1'].number}" in body and "涉诉涉访户" in body and "从未走访" in body
    assert f"户{households['b1'].number}" not in body
    assert f"/leads/new/?household={households['a1'].pk}" in body  # quick lead from the list
    home = login(personas["grid_worker"]).get("/").content.decode()
    assert "必访：户" in home


def test_must_visit_api_R_DISC_05(households, personas, login):
    households["a1"].tags.add(Tag.objects.get(code="petition"))
    compute_county("340621", as_of=DAY)
    data = login(personas["cadre_a"]).get("/api/must-visits").json()
    assert data["total"] == 1
    item = data["items"][0]
    assert item["household_id"] == households["a1"].pk and item["lists"] == ["ten"] and item["overdue"] is True
    assert item["reasons"][0]["details"] == ["标签：涉诉涉访"]
    assert login(personas["cadre_b"]).get("/api/must-visits").json()["total"] == 0


def test_a_bad_must_visit_profile_is_refused_at_load_R_DISC_05():
    from fangpin.policy.mustvisit import problems

    data = {"must_visit": {"recent_days": 0, "elderly_min_age": 60, "low_income_fraction": "1",
                           "lists": [{"code": "six", "name": "六个必访"}],
                           "criteria": [{"list": "nine", "code": "x", "name": "某条件", "rules": [{"kind": "magic"}]}]}}
    text = "；".join(problems(data))
    assert "must_visit.recent_days 应为正整数" in text
    assert "名单 nine 不在 must_visit.lists 中" in text
    assert "类型 magic 未知" in text


def test_a_registry_change_refreshes_the_households_entry_after_commit_R_DISC_05(
        households, personas, django_capture_on_commit_callbacks):
    from fangpin.registry import services as registry_services

    h = households["a1"]
    with django_capture_on_commit_callbacks(execute=True):
        registry_services.set_tags(personas["cadre_a"], h, ["petition"])
    assert hits(MustVisitEntry.objects.get(household=h)) == {"ten:petition": ["标签：涉诉涉访"]}
    with django_capture_on_commit_callbacks(execute=True):
        registry_services.set_tags(personas["cadre_a"], h, [])
    assert not MustVisitEntry.objects.filter(household=h).exists()
