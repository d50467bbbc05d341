"""Assistance contacts and plans (mounted at /assistance/ inside the ``assistance`` namespace)."""

from django.urls import path

from . import views_plans as v

urlpatterns = [
    path("plans/", v.plan_list, name="plan_list"),
    path("plans/overdue/", v.overdue, name="plan_overdue"),
    path("my-households/", v.my_households, name="my_households"),
    path("households/<int:household_id>/", v.household_plan, name="household_plan"),
    path("households/<int:household_id>/contact/", v.contact_assign, name="contact_assign"),
    path("households/<int:household_id>/plan/", v.plan_start, name="plan_start"),
    path("plans/<int:plan_id>/measures/", v.plan_measure_add, name="plan_measure_add"),
    path("plans/<int:plan_id>/submit/", v.plan_submit, name="plan_submit"),
    path("plans/<int:plan_id>/approve/", v.plan_approve, name="plan_approve"),
    path("plans/<int:plan_id>/return/", v.plan_return, name="plan_return"),
    path("plans/<int:plan_id>/reopen/", v.plan_reopen, name="plan_reopen"),
    path("plans/<int:plan_id>/entry/", v.plan_entry, name="plan_entry"),
    path("plans/<int:plan_id>/developmental/", v.plan_developmental, name="plan_developmental"),
    path("plan-measures/<int:measure_id>/remove/", v.measure_remove, name="measure_remove"),
    path("plan-measures/<int:measure_id>/apply/", v.measure_apply, name="measure_apply"),
    path("plan-measures/<int:measure_id>/carry-out/", v.measure_carry_out, name="measure_carry_out"),
]
