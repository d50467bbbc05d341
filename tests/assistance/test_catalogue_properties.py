"""Property-based test of the policy catalogue's lifecycle (R-AID-01).

Hypothesis drives random sequences of actions — departments opening, filling, submitting and taking
back their lists, the county office compiling, editing and publishing, and the same actions by the
wrong people (another department, a village cadre, a supervisor, another county's office) — through
the real service functions. Whatever happens: a refused action changes nothing; a published version is
never changed afterwards; a county has at most one published catalogue and one draft per year, with
versions 1, 2, 3 …; a department list holds only its own department's policies; only the county office
publishes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from fangpin.accounts.roles import Role
from fangpin.areas.models import Level
from fangpin.assistance import catalogue
from fangpin.assistance.models import ListKind, ListStatus, Policy, PolicyList
from fangpin.audit.models import Event
from tests.factories import division, user

YEAR = 2026
DAY = dt.date(2026, 1, 25)
REFUSED = (ValidationError, PermissionDenied)
PEOPLE = ["yibao", "fgj", "county", "cadre", "supervisor", "county_2"]
FIELDS = ("type", "name", "content", "department", "contact_name", "office_phone", "mobile", "kind", "handler",
          "conditions")
GOOD = [{"type": "健康帮扶", "name": "医疗救助", "content": "住院自付费用按比例救助"},
        {"type": "就业帮扶", "name": "以工代赈", "content": "参与项目建设获得劳务报酬", "conditions_text": "有劳动能力"},
        {"type": "综合保障", "name": "农村低保", "content": "按标准补差发放", "office_phone": "0561-6012345"}]
BAD = [{"type": "", "name": "无类型", "content": "内容"}, {"type": "就业帮扶", "name": "错号", "content": "内容", "mobile": "123"}]


def _snapshot():
    return (list(PolicyList.objects.order_by("pk").values()), list(Policy.objects.order_by("pk").values()),
            Event.objects.count())


class CatalogueMachine(RuleBasedStateMachine):
    people: dict = {}
    seen: dict = {}  # successful actions over all examples (the sequences do reach publication)

    @initialize()
    def fresh(self):
        Policy.objects.filter(origin__isnull=False).delete()
        Policy.objects.all().delete()
        PolicyList.objects.all().delete()
        self.published: dict[int, list] = {}  # list pk -> its policies when published

    def attempt(self, fn):
        before = _snapshot()
        try:
            return fn()
        except REFUSED:
            assert _snapshot() == before, "a refused action changed data"
            return None

    def pick(self, qs, index):
        rows = list(qs.order_by("pk"))
        return rows[index % len(rows)] if rows else None

    @rule(who=st.sampled_from(PEOPLE))
    def open_list(self, who):
        result = self.attempt(lambda: catalogue.open_department_list(self.people[who], YEAR, today=DAY))
        if result is not None:
            assert self.people[who].role == Role.DEPARTMENT_OFFICER

    @rule(who=st.sampled_from(PEOPLE), index=st.integers(0, 5), good=st.booleans(), data=st.integers(0, 2))
    def add_policy(self, who, index, good, data):
        pl = self.pick(PolicyList.objects.all(), index)
        if pl is None:
            return
        payload = dict(GOOD[data] if good else BAD[data % len(BAD)])
        result = self.attempt(lambda: catalogue.save_policy(self.people[who], pl, payload))
        if result is not None:
            assert good and pl.status == ListStatus.DRAFT
            actor = self.people[who]
            if pl.kind == ListKind.DEPARTMENT:
                assert actor.department == pl.department
            else:
                assert actor.role == Role.COUNTY_OFFICE and actor.division.code == pl.county_code

    @rule(who=st.sampled_from(PEOPLE), index=st.integers(0, 8))
    def edit_policy(self, who, index):
        p = self.pick(Policy.objects.all(), index)
        if p is None:
            return
        data = {f: getattr(p, f) for f in FIELDS}
        data.update({"content": p.content + "（修订）", "derive_conditions": False})
        result = self.attempt(lambda: catalogue.save_policy(self.people[who], p.policy_list, data, policy=p))
        if result is not None:
            assert p.policy_list.status == ListStatus.DRAFT

    @rule(who=st.sampled_from(PEOPLE), index=st.integers(0, 8))
    def remove_policy(self, who, index):
        p = self.pick(Policy.objects.all(), index)
        if p is not None:
            self.attempt(lambda: catalogue.remove_policy(self.people[who], p))

    @rule(who=st.sampled_from(PEOPLE), index=st.integers(0, 5))
    def submit(self, who, index):
        pl = self.pick(PolicyList.objects.all(), index)
        if pl is not None and self.attempt(lambda: catalogue.submit_list(self.people[who], pl, today=DAY)):
            assert self.people[who].department == pl.department and pl.policies.exists()

    @rule(who=st.sampled_from(PEOPLE), index=st.integers(0, 5))
    def reopen(self, who, index):
        pl = self.pick(PolicyList.objects.all(), index)
        if pl is not None:
            self.attempt(lambda: catalogue.reopen_list(self.people[who], pl))

    @rule(who=st.sampled_from(PEOPLE))
    def compile(self, who):
        result = self.attempt(lambda: catalogue.compile_catalogue(self.people[who], YEAR, today=DAY))
        if result is not None:
            assert self.people[who].role == Role.COUNTY_OFFICE
            CatalogueMachine.seen["compile"] = CatalogueMachine.seen.get("compile", 0) + 1
            submitted = Policy.objects.filter(policy_list__kind=ListKind.DEPARTMENT,
                                              policy_list__status=ListStatus.SUBMITTED).count()
            assert result.obj.policies.count() == submitted

    @rule(who=st.sampled_from(PEOPLE), index=st.integers(0, 5))
    def publish(self, who, index):
        pl = self.pick(PolicyList.objects.all(), index)
        if pl is None:
            return
        if self.attempt(lambda: catalogue.publish_catalogue(self.people[who], pl, today=DAY)) is not None:
            assert self.people[who].role == Role.COUNTY_OFFICE and pl.kind == ListKind.CATALOGUE
            CatalogueMachine.seen["publish"] = CatalogueMachine.seen.get("publish", 0) + 1
            self.published[pl.pk] = list(Policy.objects.filter(policy_list=pl).order_by("pk").values(*FIELDS))

    @rule(moves=st.integers(1, 4), dept=st.sampled_from(["yibao", "fgj"]))
    def progress(self, moves, dept):
        """The right next step by the right person (so that sequences reach compilation and publication)."""
        officer = self.people[dept]
        for _ in range(moves):
            pl = PolicyList.objects.filter(kind=ListKind.DEPARTMENT, department=officer.department).first()
            draft = catalogue.draft_catalogue("340621", YEAR)
            if pl is None:
                self.open_list(dept)
            elif pl.status == ListStatus.DRAFT and not pl.policies.exists():
                self.add_policy(dept, list(PolicyList.objects.order_by("pk")).index(pl), True, len(pl.department) % 3)
            elif pl.status == ListStatus.DRAFT:
                self.attempt(lambda pl=pl: catalogue.submit_list(officer, pl, today=DAY))
            elif draft is None:
                self.compile("county")
            else:
                self.publish("county", list(PolicyList.objects.order_by("pk")).index(draft))

    @invariant()
    def published_versions_never_change(self):
        for pk, policies in getattr(self, "published", {}).items():
            assert list(Policy.objects.filter(policy_list_id=pk).order_by("pk").values(*FIELDS)) == policies
            assert PolicyList.objects.get(pk=pk).status in (ListStatus.PUBLISHED, ListStatus.SUPERSEDED)

    @invariant()
    def one_published_one_draft_and_contiguous_versions(self):
        catalogues = PolicyList.objects.filter(kind=ListKind.CATALOGUE)
        assert catalogues.filter(status=ListStatus.PUBLISHED).count() <= 1
        assert catalogues.filter(status=ListStatus.DRAFT).count() <= 1
        versions = sorted(catalogues.values_list("version", flat=True))
        assert versions == list(range(1, len(versions) + 1))
        published = catalogues.filter(status=ListStatus.PUBLISHED).first()
        if published is not None:
            assert catalogue.current_catalogue("340621", YEAR) == published
            assert not catalogues.filter(status=ListStatus.SUPERSEDED, version__gt=published.version).exists()

    @invariant()
    def department_lists_hold_their_own_policies(self):
        for pl in PolicyList.objects.filter(kind=ListKind.DEPARTMENT):
            assert set(pl.policies.values_list("department", flat=True)) <= {pl.department}


@pytest.mark.django_db
def test_random_catalogue_actions_keep_the_rules_R_AID_01(county, personas):
    other = division("340602", "杜集区", Level.COUNTY)
    CatalogueMachine.people = {
        "yibao": personas["department"],
        "fgj": user("fagaiju", Role.DEPARTMENT_OFFICER, county["county"], department="发改局"),
        "county": personas["county_officer"], "cadre": personas["cadre_a"], "supervisor": personas["supervisor"],
        "county_2": user("county_2", Role.COUNTY_OFFICE, other),
    }
    CatalogueMachine.seen = {}
    run_state_machine_as_test(CatalogueMachine, settings=settings(
        max_examples=30, stateful_step_count=30, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    assert CatalogueMachine.seen.get("compile") and CatalogueMachine.seen.get("publish"), CatalogueMachine.seen
