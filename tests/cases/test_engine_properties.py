"""Property-based test of the procedure engine (R-ID-03, R-ID-04, R-ID-05, R-ID-06, R-ID-07).

Hypothesis drives random sequences of actions — every step by every persona, good and bad input,
notices opened early or late and closed at random times, objections, rejections, returns, the
passing of days — through the real service functions. Whatever happens, the case never reaches an
invalid state, and a refused action changes nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from fangpin.accounts.scoping import in_scope
from fangpin.audit.models import Event
from fangpin.cases import services
from fangpin.cases.models import (
    Case,
    CaseSource,
    CaseStatus,
    CaseStep,
    Notice,
    NoticeEntry,
    Objection,
    StepStatus,
)
from fangpin.registry.models import MonitoringStatus
from tests.factories import household as make_household

from .conftest import DAY, add_income, application, cross_check, decision, deliberation, verification

PERSONAS = ["cadre_a", "cadre_b", "township_officer", "county_officer", "grid_worker", "supervisor"]
STEPS = ["application", "verification", "deliberation", "cross_check", "village_decision", "township_approval",
         "county_filing"]
REFUSED = (ValidationError, PermissionDenied)
_numbers = itertools.count(1)


def good_payload(kind: str, case: Case, day: dt.date) -> dict:
    iso = day.isoformat()
    if kind == "application":
        return application(case.household, application_date=iso, consent_date=iso)
    if kind == "verification":
        return verification(visit_date=iso, override_note="依据入户核实情况")
    if kind == "deliberation":
        return deliberation(meeting_date=iso)
    if kind == "cross_check":
        return cross_check(checked_on=iso)
    return decision(day)


def bad_payload(kind: str, case: Case, day: dt.date) -> dict:
    data = good_payload(kind, case, day)
    broken = {"application": {"consent_signed": False}, "verification": {"verifiers": [{"name": "一人"}]},
              "deliberation": {"approvals": ""}, "cross_check": {"result_vehicle": "perhaps"}}.get(kind, {"decision": ""})
    data.update(broken)
    return data


def check_case(pk):
    """The invariants of a case, whatever happened to it."""
    case = Case.objects.get(pk=pk)
    event(f"reached {case.status} {case.current_step} {case.phase}".strip())
    proc = case.proc
    rows = list(CaseStep.objects.filter(case=case).order_by("id"))
    current = [r for r in rows if r.status == StepStatus.CURRENT]
    h = case.household
    if case.status == CaseStatus.OPEN:
        assert len(current) == 1 and current[0].key == case.current_step
        cur = current[0]
        index = proc.index(cur.key)
        # Every earlier step is done in its latest attempt; later ones only from before a return.
        for s in proc.steps[:index]:
            latest = [r for r in rows if r.key == s.key][-1]
            assert latest.status == StepStatus.DONE and latest.id < cur.id
        for s in proc.steps[index + 1:]:
            assert all(r.id < cur.id for r in rows if r.key == s.key)
        assert h.monitoring_status == MonitoringStatus.NONE
    else:
        assert not current and case.current_step == "" and case.closed_on
    if case.status == CaseStatus.FILED:
        latest = {s.key: [r for r in rows if r.key == s.key][-1] for s in proc.steps}
        assert all(r.status == StepStatus.DONE for r in latest.values())
        assert [latest[s.key].completed_on for s in proc.steps] == sorted(latest[s.key].completed_on for s in proc.steps)
        assert h.monitoring_status == MonitoringStatus.MONITORED and h.included_on == case.filed_on
    else:
        assert h.monitoring_status == MonitoringStatus.NONE
    if case.status == CaseStatus.REJECTED:
        assert case.rejection_reason and rows[-1].status == StepStatus.REJECTED
    for r in rows:
        step = proc.step(r.key)
        if r.status in (StepStatus.DONE, StepStatus.REJECTED):
            assert r.actor_role in step.roles and r.completed_on
        if r.status == StepStatus.DONE and step.has_notice:
            # A notice step is done only after its full notice period, without open objections.
            assert r.notice_id is not None
            assert r.completed_on >= r.notice.starts_on + dt.timedelta(days=r.notice.days)
            assert not r.objections.filter(outcome="").exists()
        if r.status == StepStatus.DONE and step.kind == "deliberation":
            assert r.payload["result"]["valid"] and r.payload["result"]["passed"]
        if r.status == StepStatus.DONE and step.kind == "verification":
            assert len(r.payload["verifiers"]) >= step.min_verifiers
    open_objections = Objection.objects.filter(case=case, outcome="")
    if Objection.objects.filter(case=case).exists():
        event("objection recorded")
    if open_objections.exists():
        assert case.phase == "in_notice" and all(o.step.status == StepStatus.CURRENT for o in open_objections)


class EngineMachine(RuleBasedStateMachine):
    """Opens one case per example and checks the invariants after every action."""

    county = None
    personas = None

    def snapshot(self):
        case = Case.objects.get(pk=self.case.pk)
        h = case.household
        return (case.version, case.status, case.current_step, case.phase, case.system_entered_on, case.announced,
                CaseStep.objects.filter(case=case).count(), Notice.objects.count(),
                NoticeEntry.objects.filter(case=case, withdrawn=True).count(),
                Objection.objects.filter(case=case).count(), Objection.objects.filter(case=case, outcome="").count(),
                Event.objects.count(), h.monitoring_status, h.category)

    def attempt(self, fn):
        """Run an action; a refusal must leave everything exactly as it was."""
        before = self.snapshot()
        try:
            result = fn()
        except REFUSED:
            assert self.snapshot() == before, "a refused action changed data"
            return None
        self.case.refresh_from_db()
        return result

    def who(self, name):
        return self.personas[name]

    @initialize(lead=st.booleans())
    def open_case(self, lead):
        self.day = DAY
        n = next(_numbers)
        h = make_household(self.county["grid_a1"], f"34062110020109{n:03d}", f"测试户{n}", category="formerly_poor")
        add_income(h, 2026, 5000, purpose="identification")
        cadre = self.who("cadre_a")
        if lead:
            self.case = services.open_case(cadre, h, source=CaseSource.LEAD, lead_ref=f"XS-{n}",
                                           discovered_on=self.day, today=self.day).case
        else:
            self.case = services.open_case(cadre, h, application=application(h), today=self.day).case

    @rule(days=st.integers(min_value=0, max_value=5))
    def time_passes(self, days):
        self.day += dt.timedelta(days=days)

    @rule(who=st.sampled_from(PERSONAS), back=st.integers(min_value=0, max_value=8))
    def object_(self, who, back):
        case = Case.objects.get(pk=self.case.pk)
        self.attempt(lambda: services.record_objection(self.who(who), case, content="群众反映情况",
                                                       received_on=self.day - dt.timedelta(days=back), today=self.day))

    @rule(who=st.sampled_from(PERSONAS), outcome=st.sampled_from(["unfounded", "reverify", "upheld", "nonsense"]))
    def resolve(self, who, outcome):
        objection = Objection.objects.filter(case=self.case).order_by("-id").first()
        if objection is None:
            return
        self.attempt(lambda: services.resolve_objection(self.who(who), objection, outcome=outcome,
                                                        resolution="已核实", today=self.day))

    def close_latest(self, who):
        entry = NoticeEntry.objects.filter(case=self.case).order_by("-id").first()
        if entry is None:
            return
        notice = entry.notice
        result = self.attempt(lambda: services.close_notice(self.who(who), notice, today=self.day))
        if result is not None:
            assert self.day > notice.ends_on and notice.gating

    RIGHT = {"application": "cadre_a", "verification": "cadre_a", "deliberation": "cadre_a",
             "cross_check": "county_officer", "village_decision": "cadre_a", "township_approval": "township_officer",
             "county_filing": "county_officer"}

    # The right persona with good input: lets random sequences reach deep states.
    @rule(wait=st.integers(min_value=0, max_value=9))
    def progress(self, wait):
        case = Case.objects.get(pk=self.case.pk)
        if not case.is_open:
            return
        step = case.current_step
        who = self.who(self.RIGHT[step])
        if case.phase == "decided":
            self.attempt(lambda: services.publish_notice(who, step, [case], starts_on=self.day, today=self.day))
        elif case.phase == "in_notice":
            notice = NoticeEntry.objects.filter(case=case).order_by("-id").first().notice
            self.day = max(self.day, notice.ends_on + dt.timedelta(days=1 + wait % 3))
            self.close_latest(self.RIGHT[step])
        else:
            kind = case.proc.step(step).kind
            self.attempt(lambda: services.act(who, case, step, good_payload(kind, case, self.day), today=self.day))

    @precondition(lambda self: hasattr(self, "case"))
    @invariant()
    def case_is_consistent(self):
        check_case(self.case.pk)


class ProcedureMachine(EngineMachine):
    """Any action by any persona at any time."""

    @rule(step=st.sampled_from(STEPS), who=st.sampled_from(PERSONAS), good=st.booleans(), stale=st.booleans())
    def do_step(self, step, who, good, stale):
        case = Case.objects.get(pk=self.case.pk)
        before_step, before_phase, before_status = case.current_step, case.phase, case.status
        kind = case.proc.step(step).kind
        payload = (good_payload if good else bad_payload)(kind, case, self.day)
        version = case.version - 1 if stale else case.version
        user = self.who(who)
        result = self.attempt(lambda: services.act(user, case, step, payload, today=self.day, expected_version=version))
        if result is not None:
            # Only the current step, by a role the profile allows, inside the actor's area, with a fresh form.
            assert before_status == CaseStatus.OPEN and before_step == step and not before_phase
            assert user.role in case.proc.step(step).roles and in_scope(user, case.division_code)
            assert good and not stale

    @rule(who=st.sampled_from(PERSONAS), expected=st.tuples(*[st.integers(0, 8)] * 3),
          present=st.tuples(*[st.integers(0, 9)] * 3), approvals=st.integers(0, 20))
    def deliberate(self, who, expected, present, approvals):
        case = Case.objects.get(pk=self.case.pk)
        payload = deliberation(expected=expected, present=present, approvals=approvals, meeting_date=self.day.isoformat())
        result = self.attempt(lambda: services.act(self.who(who), case, "deliberation", payload, today=self.day))
        if result is None:
            return
        exp, pres = sum(expected), sum(present)
        valid = Fraction(pres, exp) >= Fraction(2, 3)
        passed = valid and approvals > Fraction(pres, 2)
        self.case.refresh_from_db()
        if not valid:
            assert self.case.current_step == "deliberation" and self.case.is_open
        elif passed:
            assert self.case.current_step == "cross_check"
        else:
            assert self.case.status == CaseStatus.REJECTED

    @rule(who=st.sampled_from(PERSONAS), offset=st.integers(min_value=-2, max_value=2))
    def publish(self, who, offset):
        case = Case.objects.get(pk=self.case.pk)
        step = case.current_step or "county_filing"
        self.attempt(lambda: services.publish_notice(self.who(who), step, [case],
                                                     starts_on=self.day + dt.timedelta(days=offset), today=self.day))

    @rule(who=st.sampled_from(PERSONAS))
    def close(self, who):
        self.close_latest(who)

    @rule(who=st.sampled_from(PERSONAS), reason=st.sampled_from(["", "情况不符"]))
    def reject(self, who, reason):
        case = Case.objects.get(pk=self.case.pk)
        result = self.attempt(lambda: services.reject_case(self.who(who), case, reason=reason, today=self.day))
        if result is not None:
            assert reason and self.case.status == CaseStatus.REJECTED

    @rule(who=st.sampled_from(PERSONAS))
    def send_back(self, who):
        case = Case.objects.get(pk=self.case.pk)
        result = self.attempt(lambda: services.send_back(self.who(who), case, reason="情况存疑", today=self.day))
        if result is not None:
            assert self.case.current_step == "verification"

    @rule(who=st.sampled_from(PERSONAS))
    def enter_system(self, who):
        case = Case.objects.get(pk=self.case.pk)
        self.attempt(lambda: services.record_system_entry(self.who(who), case, entered_on=self.day, today=self.day))


@pytest.mark.django_db
def test_random_action_sequences_never_reach_an_invalid_state_R_ID_04(county, personas):
    ProcedureMachine.county = county
    ProcedureMachine.personas = personas
    run_state_machine_as_test(ProcedureMachine, settings=settings(
        max_examples=60, stateful_step_count=40, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


class HappyPathMachine(EngineMachine):
    """Progress with the right persona and good input, objections and time: filing is reached often;
    now and then the right persona rejects the case or sends it back, at whatever step it stands."""

    @rule(dice=st.integers(min_value=0, max_value=14), action=st.sampled_from(["reject", "send_back"]))
    def disrupt(self, dice, action):
        case = Case.objects.get(pk=self.case.pk)
        if dice or not case.is_open:
            return
        who = self.who(self.RIGHT[case.current_step])
        fn = services.reject_case if action == "reject" else services.send_back
        self.attempt(lambda: fn(who, case, reason="核实发现情况不符", today=self.day))


@pytest.mark.django_db
def test_biased_sequences_reach_filing_and_stay_valid_R_ID_07(county, personas):
    HappyPathMachine.county = county
    HappyPathMachine.personas = personas
    run_state_machine_as_test(HappyPathMachine, settings=settings(
        max_examples=40, stateful_step_count=50, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    assert Case.objects.filter(status=CaseStatus.FILED).exists()
