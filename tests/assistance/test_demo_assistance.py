"""The demo county ships a published catalogue, assistance contacts and plans with measures for its
monitored households (issue #11: R-AID-01, R-AID-03, R-AID-04, R-AID-05, R-AID-07)."""

import datetime as dt
from collections import Counter

import pytest
from django.db.models import Count, Q

from fangpin.accounts.models import User
from fangpin.accounts.roles import Role
from fangpin.assistance.demo import CONTACT_PREFIX, DEMO_ACTION, build_demo_assistance
from fangpin.assistance.demo_catalogue import POLICIES
from fangpin.assistance.models import (
    ContactAssignment,
    ListKind,
    ListStatus,
    Measure,
    MeasureKind,
    MeasureSource,
    MeasureStatus,
    Plan,
    PlanStatus,
    Policy,
    PolicyList,
)
from fangpin.audit.models import Event
from fangpin.profiles.services import profile_by_key
from fangpin.registry.demo import BUILD_SOURCE, build_demo
from fangpin.registry.models import Household, Member, MonitoringStatus

AS_OF = dt.date(2026, 6, 30)
SUIXI = "340621"
HOUSEHOLDS = 2500
LABOUR = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力")


def build(**kw):
    return build_demo("suixi", HOUSEHOLDS, 7, as_of=AS_OF, **kw)


@pytest.fixture
def only_assistance(monkeypatch):
    """The registry's county and this step alone (the other apps' demo steps have their own tests)."""
    monkeypatch.setattr("fangpin.registry.demo.DEMO_STEPS", [build_demo_assistance])


def snapshot():
    return {m.__name__: m.objects.count() for m in (PolicyList, Policy, ContactAssignment, Plan, Measure)} | {
        "contacts": User.objects.filter(role=Role.ASSISTANCE_CONTACT).count()}


@pytest.mark.usefixtures("only_assistance")
@pytest.mark.django_db
def test_demo_catalogue_is_published_with_department_lists_R_AID_01():
    build()
    catalogue = PolicyList.objects.get(county_code=SUIXI, year=2026, kind=ListKind.CATALOGUE)
    assert catalogue.version == 1 and catalogue.status == ListStatus.PUBLISHED and catalogue.published_at
    assert catalogue.published_at.date() <= dt.date(2026, 2, 10)
    policies = list(catalogue.policies.select_related("origin__policy_list"))
    assert 40 <= len(policies) <= 60 and len(policies) == len(POLICIES)
    types = {p.type for p in policies}
    assert types == {"就业帮扶", "产业帮扶", "健康帮扶", "教育帮扶", "住房保障", "饮水安全", "综合保障", "金融帮扶",
                     "公益岗位", "社会帮扶"}
    names = {p.name for p in policies}
    assert {"以工代赈", "雨露计划职业教育补助", "脱贫人口小额信贷", "城乡居民基本医疗保险参保资助", "农村最低生活保障",
            "特困人员救助供养", "残疾人两项补贴", "临时救助", "农村危房改造", "生态护林员", "跨省务工交通补助",
            "职业技能培训补贴"} <= names
    units = set(profile_by_key("suixi").param("grid.working_groups")[1]["units"])
    for p in policies:
        # every 附件1 column is filled, the department is a county unit and its contact has an office number
        assert p.content and p.target_population and p.conditions_text and p.procedure and p.contact_name
        assert p.department in units, p.department
        assert p.office_phone.startswith("0561-") and len(p.office_phone) == 12
        assert p.kind in MeasureKind.values and p.handler in ("township", "department")
        # compiled from the department's own submitted list
        assert p.origin.policy_list.kind == ListKind.DEPARTMENT and p.origin.department == p.department
        assert p.origin.name == p.name and p.origin.policy_list.status == ListStatus.SUBMITTED
    kinds = Counter(p.kind for p in policies)
    assert kinds[MeasureKind.DEVELOPMENTAL] >= 10 and kinds[MeasureKind.SAFETY_NET] >= 5
    dibao = next(p for p in policies if p.name == "农村最低生活保障")
    assert dibao.conditions["max_per_capita_income"] == "9480"  # 790 元/月 × 12 (2026 profile)
    # work for the catalogue workflow: 人社局 submitted a policy after publication, 工商联 is drafting
    late = PolicyList.objects.get(year=2026, kind=ListKind.DEPARTMENT, department="人社局")
    assert late.submitted_at > catalogue.published_at
    assert late.policies.count() == catalogue.policies.filter(department="人社局").count() + 1
    draft = PolicyList.objects.get(year=2026, kind=ListKind.DEPARTMENT, status=ListStatus.DRAFT)
    assert draft.department == "工商联" and draft.policies.exists() and not draft.submitted_at
    assert not catalogue.policies.filter(department="工商联").exists()
    event = Event.objects.get(action=DEMO_ACTION)
    assert (event.source, event.source_ref) == BUILD_SOURCE and event.division_code == SUIXI
    assert event.after["plans"] > 0 and event.after["measures"] > 0


@pytest.mark.django_db
def test_demo_contacts_and_plans_cover_the_monitored_households_R_AID_03_R_AID_05():
    build()
    monitored = Household.objects.filter(division_code__startswith=SUIXI, monitoring_status=MonitoringStatus.MONITORED)
    n = monitored.count()
    assert n >= 10
    # one current contact per monitored household, never more households than the profile allows
    current = ContactAssignment.objects.filter(ended_on__isnull=True)
    assert current.filter(household__in=monitored).values("household").distinct().count() == n
    most = int(profile_by_key("suixi").param("assistance.contact_max_households"))
    loads = current.values("contact").annotate(n=Count("id"))
    assert loads and max(r["n"] for r in loads) <= most
    assert sum(r["n"] for r in loads) / len(loads) > 1.2  # about one contact per two households
    for a in current.select_related("contact", "household"):
        assert a.contact.role == Role.ASSISTANCE_CONTACT
        assert a.household.division_code.startswith(a.contact.division.code)  # a contact of the village
        assert a.assigned_on >= a.household.included_on
    contacts = User.objects.filter(username__startswith=CONTACT_PREFIX + SUIXI)
    assert contacts.exists() and not any(u.has_usable_password() for u in contacts)
    assert all(len(u.display_name) in (2, 3) for u in contacts)
    # the demo login "contact" takes the households of its own village, if that village has monitored ones
    demo_contact = User.objects.get(username="contact")
    in_village = monitored.filter(village=demo_contact.division).exists()
    assert current.filter(contact=demo_contact).exists() == in_village

    # one open plan per monitored household; most approved from the published catalogue
    plans = Plan.objects.filter(household__in=monitored).exclude(status=PlanStatus.CLOSED)
    assert plans.values("household").distinct().count() == plans.count() == n
    catalogue = PolicyList.objects.get(kind=ListKind.CATALOGUE, year=2026)
    statuses = Counter(plans.values_list("status", flat=True))
    assert statuses[PlanStatus.APPROVED] > n / 2 and set(statuses) - {PlanStatus.APPROVED}
    for plan in plans.filter(status=PlanStatus.APPROVED):
        assert plan.catalogue_id == catalogue.pk and plan.approved_on and plan.approved_on <= AS_OF
        assert plan.due_on > plan.started_on and plan.entry_due_on > plan.due_on
        assert plan.submitted_at and plan.submitted_at.date() <= plan.approved_on
        assert plan.entered_on <= plan.entry_due_on and plan.entered_on <= AS_OF  # entered within 20 working days
    assert plans.filter(developmental_marked=True).exists()
    for plan in plans.filter(developmental_marked=True):
        assert plan.developmental_reviewed_on <= AS_OF and plan.developmental_note
        assert plan.measures.filter(kind=MeasureKind.DEVELOPMENTAL, status=MeasureStatus.IN_PLACE).exists()

    # measures: this year's, from the catalogue, their category and content those of the policy
    measures = Measure.objects.filter(plan__in=plans).select_related("policy", "member")
    assert measures.exists()
    for m in measures:
        assert m.year == 2026 and m.source == MeasureSource.LOCAL and m.policy.policy_list_id == catalogue.pk
        assert (m.category, m.content, m.kind, m.handler, m.department) == (
            m.policy.type, m.policy.name, m.policy.kind, m.policy.handler, m.policy.department)
        assert m.member is None or m.member.household_id == m.household_id  # 一人一措施: a member of the household
        if m.status == MeasureStatus.IN_PLACE:
            assert m.carried_out_on and m.carried_out_on <= AS_OF
        if m.handler == "department" and m.status in (MeasureStatus.APPLIED, MeasureStatus.IN_PLACE, MeasureStatus.REFUSED):
            assert m.applied_on and m.answer_due_on > m.applied_on
        if m.status == MeasureStatus.APPLIED:
            assert m.answered_on is None
        if m.status == MeasureStatus.REFUSED:
            assert m.refusal_reason
    assert measures.filter(member__isnull=False).exists()
    # department applications still waiting for an answer, and other statuses besides "in place"
    assert Measure.objects.filter(status=MeasureStatus.APPLIED, handler="department").exists()
    assert measures.filter(status=MeasureStatus.IN_PLACE).count() > measures.count() / 2
    # the 脱贫户 outside monitoring have this year's measures too (the village lists show them)
    poor = Measure.objects.filter(household__category="formerly_poor", plan__isnull=True)
    assert poor.exists() and not poor.exclude(year=2026).exists()


@pytest.mark.usefixtures("only_assistance")
@pytest.mark.django_db
def test_demo_plans_follow_developmental_and_safety_net_rule_R_AID_04():
    build()
    plans = (Plan.objects.filter(household__division_code__startswith=SUIXI, catalogue__isnull=False)
             .select_related("household"))
    assert plans.exists()
    capable = set(Member.objects.filter(active=True, labour__in=LABOUR).values_list("household_id", flat=True))
    counted = ~Q(status__in=[MeasureStatus.REFUSED, MeasureStatus.CANCELLED])
    checked = Counter()
    for plan in plans:
        kinds = set(plan.measures.filter(counted).values_list("kind", flat=True))
        hh = plan.household
        if hh.no_labour_household or hh.pk not in capable:
            assert MeasureKind.SAFETY_NET in kinds, (hh.pk, kinds)
            checked["safety_net"] += 1
        else:
            assert MeasureKind.DEVELOPMENTAL in kinds, (hh.pk, kinds)
            checked["developmental"] += 1
    assert checked["developmental"] > 0


@pytest.mark.django_db
def test_demo_step_is_idempotent_and_a_forced_rebuild_starts_over():
    build()
    before = snapshot()
    county = Household.objects.filter(division_code__startswith=SUIXI).first().village.path()[0]
    # the step again: the county has its catalogue for the year, nothing is written
    assert build_demo_assistance(county, AS_OF, 7) == {}
    # make demo-data again (--if-empty): the county is kept as it is
    result = build(if_empty=True)
    assert not result.built and snapshot() == before
    assert Event.objects.filter(action=DEMO_ACTION).count() == 1
    # a forced rebuild wipes the county's assistance rows and writes the same again; the synthetic
    # contacts are reused, not duplicated
    build(force=True)
    assert snapshot() == before
    assert PolicyList.objects.filter(kind=ListKind.CATALOGUE).count() == 1


@pytest.mark.django_db
def test_demo_catalogue_conditions_use_the_registry_values_R_AID_01():
    from fangpin.assistance.demo_catalogue import DRAFT_POLICIES, LATE_SUBMISSION
    from fangpin.registry import vocab

    keys = {"categories", "risk_types", "labour", "min_age", "max_age", "disability", "student",
            "max_per_capita_income"}
    categories = set(profile_by_key("suixi").category_names())
    risks, labour = set(vocab.values("risk_type")), set(vocab.values("labour"))
    entries = [*POLICIES, LATE_SUBMISSION, *DRAFT_POLICIES]
    assert len({e["key"] for e in entries}) == len(entries)
    assert len({(e["department"], e["name"]) for e in entries}) == len(entries)
    for e in entries:
        cond = e["conditions"]
        assert set(cond) <= keys, e["name"]
        assert set(cond.get("categories", ())) <= categories
        assert set(cond.get("risk_types", ())) <= risks
        assert set(cond.get("labour", ())) <= labour
        assert cond.get("min_age", 0) <= cond.get("max_age", 200)
        assert len(e["name"]) <= Policy._meta.get_field("name").max_length
        assert len(e["target_population"]) <= Policy._meta.get_field("target_population").max_length
        low, high = e.get("amount") or (0, 0)
        assert 0 <= low <= high
