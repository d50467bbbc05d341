"""Property-based test of department answers (R-AID-08, R-AID-05).

Hypothesis drives random sequences — applications sent, answers by every persona and by another
department, with good and bad amounts, months, dates and reasons — through the real service. Whatever
happens, a measure is answered at most once per application, an answer is either approved with a start
month or refused with a reason, and a refused call changes nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from fangpin.accounts.roles import Role
from fangpin.assistance import departments
from fangpin.assistance.models import Handler, Measure, MeasureStatus
from fangpin.audit.models import Event
from fangpin.profiles.services import today as local_today
from tests.factories import household as make_household
from tests.factories import user

TODAY = local_today()
PERSONAS = ["department", "other_department", "county_officer", "township_officer", "cadre_a", "supervisor"]
AMOUNTS = [None, "", "800", "1,200.50", "0", "-1", "abc", "99999999999"]
MONTHS = [None, "", f"{TODAY:%Y-%m}", "2026-13", "五月", f"{TODAY.year + 3}-01", f"{TODAY.year - 3}-01"]
REASONS = ["", "   ", "家庭人均收入高于救助标准", "理" * 301]
DATES = [None, "", TODAY.isoformat(), "2099-01-01", "昨天", (TODAY - dt.timedelta(days=60)).isoformat()]
_numbers = itertools.count(1)


class AnswerMachine(RuleBasedStateMachine):
    county = None
    personas = None
    tally: Counter = Counter()

    @initialize()
    def setup(self):
        n = next(_numbers)
        self.household = make_household(self.county["grid_a1"], f"34062110020109{n:03d}", f"答复户{n}")
        self.measure = Measure.objects.create(
            household=self.household, category="健康帮扶", content="申请医疗救助", source="local",
            handler=Handler.DEPARTMENT, department="医保局", status=MeasureStatus.PLANNED, year=TODAY.year)
        self.answers = 0

    def snapshot(self):
        return (list(Measure.objects.filter(pk=self.measure.pk).values()),
                Event.objects.filter(object_id=str(self.measure.pk)).count())

    @rule()
    def send_application(self):
        # As the plans part does when the township sends it (applied_on, answer clock).
        m = Measure.objects.get(pk=self.measure.pk)
        if m.status in (MeasureStatus.PLANNED, MeasureStatus.REFUSED):
            applied = TODAY - dt.timedelta(days=5)
            Measure.objects.filter(pk=m.pk).update(
                status=MeasureStatus.APPLIED, applied_on=applied, answered_on=None, answered_by=None,
                answer_due_on=departments.answer_due(self.household.division_code, applied).due)

    @rule(who=st.sampled_from(PERSONAS), approved=st.sampled_from([True, False, "是", "否", "也许", None]),
          amount=st.sampled_from(AMOUNTS), month=st.sampled_from(MONTHS), reason=st.sampled_from(REASONS),
          on=st.sampled_from(DATES))
    def answer(self, who, approved, amount, month, reason, on):
        before = self.snapshot()
        was = Measure.objects.get(pk=self.measure.pk).status
        try:
            m = departments.answer_application(self.personas[who], self.measure.pk, approved=approved, reason=reason,
                                               amount=amount, start_month=month, on=on)
        except (ValidationError, PermissionDenied):
            assert self.snapshot() == before, "a refused answer changed data"
            event("refused")
            AnswerMachine.tally["refused"] += 1
            return
        event("answered")
        AnswerMachine.tally["answered"] += 1
        assert was == MeasureStatus.APPLIED and who == "department"
        self.answers += 1
        assert m.status in (MeasureStatus.APPROVED, MeasureStatus.REFUSED)

    @rule(who=st.sampled_from(["department", "department", "other_department", "county_officer"]),
          approved=st.booleans(), amount=st.sampled_from([None, "800", "1,200.50"]))
    def answer_well(self, who, approved, amount):
        # Well-formed answers, so that sequences also reach approvals and refusals (and answering twice).
        if approved:
            self.answer(who, True, amount, f"{TODAY:%Y-%m}", "", None)
        else:
            self.answer(who, False, None, None, "家庭人均收入高于救助标准", None)

    @invariant()
    def answers_are_whole(self):
        if not hasattr(self, "measure"):
            return
        m = Measure.objects.get(pk=self.measure.pk)
        if m.status == MeasureStatus.APPROVED:
            assert m.start_month and m.start_month.day == 1 and not m.refusal_reason and m.answered_on
            assert m.amount is None or m.amount >= 0
        if m.status == MeasureStatus.REFUSED:
            assert m.refusal_reason.strip() and m.amount is None and m.start_month is None and m.answered_on
        events = Event.objects.filter(object_id=str(m.pk), action__startswith="measure.department_").count()
        assert events == self.answers


@pytest.mark.django_db
def test_random_answers_never_leave_a_half_answer_R_AID_08(county, households, personas):
    personas = {**personas, "other_department": user("minzheng", Role.DEPARTMENT_OFFICER, county["county"],
                                                      display_name="民政局", department="民政局")}
    AnswerMachine.county, AnswerMachine.personas = county, personas
    run_state_machine_as_test(AnswerMachine, settings=settings(
        max_examples=25, stateful_step_count=12, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
    # The sequences did reach both outcomes (not only refusals).
    assert AnswerMachine.tally["answered"] > 0 and AnswerMachine.tally["refused"] > 0
