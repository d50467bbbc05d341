"""Property-based test of the plan services (R-AID-03 … R-AID-05, R-AID-07).

Hypothesis drives random sequences of plan actions — every action by every persona, good and bad
input, the department's answer — through the real service functions. Whatever happens, the plan
never reaches an invalid state, and a refused action changes nothing.
"""

from __future__ import annotations

import itertools

from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from fangpin.assistance import departments, matching, plans
from fangpin.assistance.models import Handler, Measure, MeasureKind, MeasureStatus, Plan, PlanStatus
from fangpin.audit.models import Event
from tests.assistance.test_plans import DAY, make_catalogue
from tests.factories import household

PERSONAS = ["county_officer", "township_officer", "cadre_a", "cadre_b", "contact", "supervisor", "department"]
ACTIONS = ["add", "remove", "submit", "approve", "return", "reopen", "apply", "answer", "carry_out", "entry",
           "developmental"]
_numbers = itertools.count(1)


class PlanMachine(RuleBasedStateMachine):
    county = None
    personas = None
    catalogue = None

    @initialize()
    def file_household(self):
        n = next(_numbers)
        h = household(self.county["grid_a1"], f"34062110020108{n:03d}", f"帮扶户{n}", category="marginal_at_risk",
                      status="monitored")
        self.plan = plans.on_household_filed(self.personas["county_officer"], h, DAY)
        self.policies = list(self.catalogue.policies.order_by("position"))

    def _snapshot(self):
        return (list(Plan.objects.filter(pk=self.plan.pk).values()),
                list(Measure.objects.filter(household_id=self.plan.household_id).order_by("pk").values()),
                Event.objects.count())

    def _measure(self, index):
        rows = list(self.plan.measures.order_by("pk"))
        return rows[index % len(rows)] if rows else None

    @rule(action=st.sampled_from(ACTIONS), who=st.sampled_from(PERSONAS), index=st.integers(0, 5),
          good=st.booleans())
    def act(self, action, who, index, good):
        actor = self.personas[who]
        plan = Plan.objects.get(pk=self.plan.pk)
        measure = self._measure(index)
        day = DAY if good else "2026-02-30"
        before = self._snapshot()
        try:
            if action == "add":
                plans.add_measure(actor, plan, self.policies[index % len(self.policies)] if good else "",
                                  today=DAY)
            elif action == "remove" and measure is not None:
                plans.remove_measure(actor, measure, today=DAY)
            elif action == "submit":
                plans.submit_plan(actor, plan, today=DAY)
            elif action == "approve":
                plans.approve_plan(actor, plan, on=day, today=DAY)
            elif action == "return":
                plans.return_plan(actor, plan, "措施不全" if good else "", today=DAY)
            elif action == "reopen":
                plans.reopen_plan(actor, plan, "情况变化" if good else " ", today=DAY)
            elif action == "apply" and measure is not None:
                plans.apply_to_department(actor, measure, day, today=DAY)
            elif action == "answer" and measure is not None:
                departments.answer_application(actor, measure, approved=good, reason="" if good else "不符合条件",
                                               amount="1200" if good else None,
                                               start_month="2026-06" if good else None, on=DAY)
            elif action == "carry_out" and measure is not None:
                plans.carry_out(actor, measure, day, today=DAY)
            elif action == "entry":
                plans.record_entry(actor, plan, day, today=DAY)
            elif action == "developmental":
                plans.mark_developmental(actor, plan, found=good, note="" if good else "核查未见", today=DAY)
        except (ValidationError, PermissionDenied):
            assert self._snapshot() == before, f"refused {action} by {who} changed something"

    @rule(dice=st.integers(0, 9))
    def progress(self, dice):
        """The right persona takes the next natural step with good input (so later states are reached)."""
        p = self.personas
        plan = Plan.objects.get(pk=self.plan.pk)
        measure = self._measure(dice)
        try:
            if plan.status in plans.EDITABLE:
                if dice < 6 or not plan.measures.exists():
                    plans.add_measure(p["township_officer"], plan, self.policies[dice % len(self.policies)], today=DAY)
                else:
                    plans.submit_plan(p["township_officer"], plan, today=DAY)
            elif plan.status == PlanStatus.SUBMITTED:
                if dice < 8:
                    plans.approve_plan(p["county_officer"], plan, today=DAY)
                else:
                    plans.return_plan(p["county_officer"], plan, "请补充开发式帮扶", today=DAY)
            elif measure is not None and measure.status == MeasureStatus.PLANNED and measure.handler == Handler.DEPARTMENT:
                plans.apply_to_department(p["township_officer"], measure, DAY, today=DAY)
            elif measure is not None and measure.status == MeasureStatus.APPLIED:
                actor = next((u for u in p.values() if u.department == measure.department), None)
                if actor is not None:
                    departments.answer_application(actor, measure, approved=dice < 7, reason="不符合条件",
                                                   amount="1200" if dice < 7 else None,
                                                   start_month="2026-06" if dice < 7 else None, on=DAY)
            elif measure is not None and measure.status in (MeasureStatus.PLANNED, MeasureStatus.APPROVED):
                plans.carry_out(p["township_officer"], measure, DAY, today=DAY)
            elif dice < 3:
                plans.record_entry(p["township_officer"], plan, DAY, today=DAY)
            elif dice < 6:
                plans.mark_developmental(p["county_officer"], plan, found=True, today=DAY)
            else:
                plans.reopen_plan(p["township_officer"], plan, "户情变化，调整措施", today=DAY)
        except (ValidationError, PermissionDenied):
            pass  # e.g. a duplicate policy, or no developmental measure in place: checked by ``act``

    @invariant()
    def plan_is_valid(self):
        if not hasattr(self, "plan"):
            return
        plan = Plan.objects.get(pk=self.plan.pk)
        measures = list(plan.measures.all())
        assert plan.status in PlanStatus.values
        if plan.status == PlanStatus.SUBMITTED:
            # (An approved plan may be left without an active measure when a department refuses: the
            # township is then asked to adjust the plan.)
            assert any(m.status not in matching.INACTIVE_STATUSES for m in measures)
        if plan.status == PlanStatus.APPROVED:
            assert plan.approved_on and plan.approved_by_id
            assert all(m.due_on for m in measures)
        for m in measures:
            if m.status == MeasureStatus.IN_PLACE:
                assert m.carried_out_on and plan.approved_on
                assert m.handler == Handler.TOWNSHIP or m.answered_on
            if m.status in (MeasureStatus.APPLIED, MeasureStatus.APPROVED, MeasureStatus.REFUSED):
                assert m.handler == Handler.DEPARTMENT and m.applied_on and m.answer_due_on
        if plan.developmental_marked:
            assert any(m.kind == MeasureKind.DEVELOPMENTAL and m.status == MeasureStatus.IN_PLACE for m in measures)
            assert plan.developmental_reviewed_by_id and plan.developmental_reviewed_on
        if plan.entered_on:
            assert plan.approved_on and plan.entered_on >= plan.approved_on
        assert plan.household.incomes.count() == 0  # measures never write income


def test_random_plan_actions_never_reach_an_invalid_state_and_refusals_change_nothing_R_AID_05(county, personas):
    PlanMachine.county = county
    PlanMachine.personas = personas
    PlanMachine.catalogue = make_catalogue(county["county"])
    run_state_machine_as_test(PlanMachine, settings=settings(
        max_examples=15, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    # The random sequences reach the later states too (not only refusals at the start).
    assert Plan.objects.filter(status=PlanStatus.APPROVED).exists() or Plan.objects.filter(
        approved_on__isnull=False).exists()
    assert Event.objects.filter(action="plan.submit").exists()
