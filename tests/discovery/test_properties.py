"""Property-based test of the lead clocks (R-DISC-01, R-DISC-03, R-DISC-04).

Hypothesis drives random sequences of actions — reports from every channel by every persona,
dispatch, verification by one or two people with either outcome, closing, serious-risk flags and
reports, the passing of days — through the real service functions. Whatever happens, a lead never
reaches an invalid state, a household never has two leads waiting for verification, and a refused
action changes nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from fangpin.audit.models import Event
from fangpin.cases.models import Case
from fangpin.discovery import services
from fangpin.discovery.models import (
    CLOCK_STATES,
    OPEN_STATES,
    PUBLIC_CHANNELS,
    Channel,
    Lead,
    LeadReport,
    LeadState,
    Outcome,
)
from tests.discovery.conftest import DAY
from tests.factories import household as make_household

PERSONAS = ["cadre_a", "cadre_b", "township_officer", "county_officer", "grid_worker", "supervisor", "department"]
REFUSED = (ValidationError, PermissionDenied)
_numbers = itertools.count(1)


class LeadMachine(RuleBasedStateMachine):
    county = None
    personas = None

    @initialize()
    def setup(self):
        self.day = DAY
        n = next(_numbers)
        self.household = make_household(self.county["grid_a1"], f"34062110020108{n:03d}", f"线索户{n}")

    def leads(self):
        return Lead.objects.filter(household=self.household).order_by("pk")

    def latest(self):
        return self.leads().last()

    def snapshot(self):
        return (list(self.leads().values()), LeadReport.objects.count(), Case.objects.count(), Event.objects.count())

    def attempt(self, fn):
        before = self.snapshot()
        try:
            result = fn()
        except REFUSED:
            assert self.snapshot() == before, "a refused action changed data"
            event("refused")
            return None
        event("done")
        return result

    @rule(days=st.integers(min_value=0, max_value=3))
    def time_passes(self, days):
        self.day += dt.timedelta(days=days)

    @rule(who=st.sampled_from(PERSONAS), channel=st.sampled_from(Channel.values), bad=st.integers(0, 4))
    def raise_(self, who, channel, bad):
        self.attempt(lambda: services.raise_lead(
            self.personas[who], channel=channel, household=self.household, risk_types=["因病"],
            description="" if bad == 0 else "户主住院", today=self.day))

    # The right persona with good input: lets random sequences reach every state.
    @rule(outcome=st.sampled_from(Outcome.values), channel=st.sampled_from(["visit", "hotline_12317"]))
    def progress(self, outcome, channel):
        lead = self.latest()
        p = self.personas
        if lead is None or lead.state in (LeadState.CASE_OPENED, LeadState.CLOSED):
            who = p["county_officer"] if channel == "hotline_12317" else p["cadre_a"]
            self.attempt(lambda: services.raise_lead(who, channel=channel, household=self.household,
                                                     description="户主住院", today=self.day))
        elif lead.state == LeadState.AWAITING_DISPATCH:
            self.attempt(lambda: services.dispatch_lead(p["county_officer"], lead, today=self.day))
        elif lead.state == LeadState.AWAITING_VERIFICATION:
            self.attempt(lambda: services.verify_lead(
                p["township_officer"], lead, verifiers=[{"name": "孙站长"}, {"name": "蔡书记"}], visited_on=self.day,
                findings="入户核实", outcome=outcome, reason="情况不实", today=self.day))
        else:
            self.attempt(lambda: services.close_lead(p["township_officer"], lead, today=self.day))

    @rule(who=st.sampled_from(PERSONAS))
    def dispatch(self, who):
        lead = self.latest()
        if lead is not None:
            self.attempt(lambda: services.dispatch_lead(self.personas[who], lead, today=self.day))

    @rule(who=st.sampled_from(PERSONAS), people=st.integers(min_value=1, max_value=2),
          outcome=st.sampled_from(Outcome.values + ["maybe"]), reason=st.booleans())
    def verify(self, who, people, outcome, reason):
        lead = self.latest()
        if lead is None:
            return
        verifiers = [{"name": "孙站长"}, {"name": "蔡书记"}][:people]
        self.attempt(lambda: services.verify_lead(
            self.personas[who], lead, verifiers=verifiers, visited_on=self.day, findings="入户核实",
            outcome=outcome, reason="情况不实" if reason else "", today=self.day))

    @rule(who=st.sampled_from(PERSONAS))
    def close(self, who):
        lead = self.latest()
        if lead is not None:
            self.attempt(lambda: services.close_lead(self.personas[who], lead, today=self.day))

    @rule(who=st.sampled_from(PERSONAS), kind=st.sampled_from(["individual", "scale", ""]))
    def flag(self, who, kind):
        lead = self.latest()
        if lead is not None:
            self.attempt(lambda: services.flag_serious(self.personas[who], lead, kind=kind, note="较严重",
                                                       departments="医保局", today=self.day))

    @rule(who=st.sampled_from(PERSONAS))
    def report(self, who):
        lead = self.latest()
        if lead is not None:
            self.attempt(lambda: services.report_serious(self.personas[who], lead, report="已调查", today=self.day))

    @invariant()
    def leads_are_consistent(self):
        if not hasattr(self, "household"):
            return
        leads = list(self.leads())
        assert sum(lead.state in OPEN_STATES for lead in leads) <= 1
        for lead in leads:
            event(f"reached {lead.state}")
            assert lead.reports.exists() and lead.reports.order_by("id").first().reference == lead.reference
            assert (lead.state == LeadState.CASE_OPENED) == (lead.case_id is not None)
            if lead.case_id:
                assert lead.case.origin_lead == lead and lead.outcome == Outcome.OPEN_CASE
            assert (lead.state in CLOCK_STATES) == (lead.current_due_on is not None)
            if lead.current_due_on:
                assert lead.current_due_on >= lead.clock_started_on
            if lead.state in (LeadState.AWAITING_CLOSING_REPORT, LeadState.CLOSED):
                assert lead.outcome == Outcome.NOT_ELIGIBLE and lead.close_reason and len(lead.verifiers) >= 2
            assert (lead.state == LeadState.CLOSED) == (lead.closed_on is not None)
            if lead.state == LeadState.AWAITING_VERIFICATION and lead.origin_code and len(lead.origin_code) <= 6:
                assert lead.dispatched_on is not None
            assert lead.serious_reported_on is None or lead.serious_kind
            assert lead.channel not in PUBLIC_CHANNELS


@pytest.mark.django_db
def test_random_lead_actions_never_reach_an_invalid_state_R_DISC_03(county, personas):
    LeadMachine.county = county
    LeadMachine.personas = personas
    run_state_machine_as_test(LeadMachine, settings=settings(
        max_examples=40, stateful_step_count=30, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    assert Lead.objects.filter(state=LeadState.CASE_OPENED).exists()
    assert Lead.objects.filter(state=LeadState.CLOSED).exists()
