"""The demo county ships identification cases at every step, so each demo login has real work."""

import json
import re

import pytest
from django.urls import reverse

from fangpin.accounts.demo import DEMO_ACCOUNTS
from fangpin.accounts.models import User
from fangpin.accounts.pending import pending_actions
from fangpin.accounts.roles import Role
from fangpin.audit.models import Event
from fangpin.cases import services
from fangpin.cases.models import Case, CaseStatus, CaseStep, Notice, Objection, Phase
from fangpin.cases.selectors import cases_visible_to, pending_for
from fangpin.policy.procedures import parse_procedure
from fangpin.profiles.services import profile_by_key, today
from fangpin.registry.demo import DemoError, build_demo
from fangpin.registry.models import Member, MonitoringStatus

HOUSEHOLDS = 3000
ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def build(profile="suixi", **kw):
    return build_demo(profile, HOUSEHOLDS, 7, as_of=today(), analyze=False, **kw)


def steps_of(profile):
    return parse_procedure(profile_by_key(profile).data, "identification").steps


@pytest.mark.django_db
def test_demo_county_has_cases_at_every_step_overdue_in_notice_filed_and_rejected_R_ID_03_R_ID_04_R_ID_06_R_ID_07():
    build()
    day = today()
    cases = Case.objects.filter(division_code__startswith="340621")
    open_cases = cases.filter(status=CaseStatus.OPEN)
    for step in steps_of("suixi"):
        assert open_cases.filter(current_step=step.key).exists(), step.key
        if step.has_notice:
            for phase in (Phase.DECIDED, Phase.IN_NOTICE):
                assert open_cases.filter(current_step=step.key, phase=phase).exists(), (step.key, phase)
    assert open_cases.filter(current_due_on__lt=day).exists()  # overdue work
    assert open_cases.filter(current_due_on__gte=day).exists()  # and work still on time
    # A notice past its period waiting to be closed, one still running, and an objection to resolve.
    assert Notice.objects.filter(status=Notice.Status.OPEN, ends_on__lt=day, kind=Notice.Kind.VILLAGE).exists()
    assert Notice.objects.filter(status=Notice.Status.OPEN, ends_on__gte=day).exists()
    assert Objection.objects.filter(outcome="", case__status=CaseStatus.OPEN).exists()
    assert Objection.objects.filter(outcome=Objection.Outcome.UPHELD, case__status=CaseStatus.REJECTED).exists()
    # Filed cases made monitored households; some entered in the national system, some announced.
    filed = cases.filter(status=CaseStatus.FILED)
    assert filed.count() >= 3
    for case in filed.select_related("household"):
        assert case.household.monitoring_status == MonitoringStatus.MONITORED
        assert case.household.included_on == case.filed_on and case.filed_on <= day
    assert filed.filter(system_entered_on__isnull=False).exists() and filed.filter(system_entered_on=None).exists()
    assert filed.filter(announced=True).exists() and filed.filter(announced=False).exists()
    rejected = cases.filter(status=CaseStatus.REJECTED)
    assert rejected.exclude(rejection_reason="").count() == rejected.count() >= 3
    assert {"verification", "deliberation"} <= set(rejected.values_list("rejected_step", flat=True))
    # Driven through the engine: every step attempt has its actor, dates within the past, an audit trail.
    done = CaseStep.objects.filter(case__in=cases).exclude(status="current")
    assert done.exists() and not done.filter(actor=None).exists()
    assert not CaseStep.objects.filter(case__in=cases, started_on__gt=day).exists()
    engine_made = cases.exclude(source="lead")
    for case in engine_made:
        assert Event.objects.filter(object_type="Case", object_id=str(case.pk), action="case.open",
                                    source="command", source_ref="build_demo").exists()
    # Spread over several villages and townships.
    assert len({c[:12] for c in engine_made.values_list("division_code", flat=True)}) >= 4
    assert len({c[:9] for c in engine_made.values_list("division_code", flat=True)}) >= 3


@pytest.mark.django_db
def test_each_demo_login_sees_cases_and_pending_actions_with_masking_unchanged_R_SEC_01_R_ID_04(client):
    build()
    day = today()
    users = {u.username: u for u in User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS])}
    for username, user in users.items():
        if user.role == Role.ASSISTANCE_CONTACT:
            continue  # a contact helps monitored households; cases are not theirs
        assert cases_visible_to(user).exists(), username
    for username in ("cadre", "township", "county"):
        items = pending_for(users[username], day)
        assert items, username
        assert any(i["overdue"] for i in items), username
    # The grid worker opened cases in their own grid and has work on the home page.
    grid = users["grid"]
    assert cases_visible_to(grid).exists() and pending_actions(grid)
    # The demo's free text (reasons, findings, outcomes, objections) carries no ID number or phone, so
    # nothing in it depends on masking; the pages show no full ID number to the roles that may not see one.
    texts = json.dumps([list(CaseStep.objects.values_list("payload", "outcome")),
                        list(Case.objects.values_list("reasons", "rejection_reason")),
                        list(Objection.objects.values_list("content", "resolution"))], ensure_ascii=False)
    assert not ID_NUMBER.search(texts) and not PHONE.search(texts)
    full_ids = set(Member.objects.filter(household__cases__isnull=False).values_list("id_number", flat=True))
    for username in ("cadre", "township", "county", "grid", "yibao", "supervisor"):
        user = users[username]
        client.force_login(user)
        page = client.get(reverse("cases:case_list"))
        assert page.status_code == 200
        mine = cases_visible_to(user).order_by("-opened_on", "-id").first()
        assert mine.reference in page.text, username
        detail = client.get(reverse("cases:case_detail", args=[mine.pk]))
        assert detail.status_code == 200
        if not user.caps.full_id_number:
            for text in (page.text, detail.text):
                assert not set(ID_NUMBER.findall(text)) & full_ids, username
        client.logout()


@pytest.mark.django_db
def test_force_rebuild_wipes_demo_cases_but_not_a_county_someone_worked_in_R_ID_04():
    build()
    first = Case.objects.count()
    assert first
    build(force=True)  # the demo cases' own audit events do not block a rebuild
    assert Case.objects.count() == first
    assert Notice.objects.filter(entries__isnull=True).count() == 0  # no notices left from the wiped county
    cadre = User.objects.get(username="cadre")
    case = Case.objects.filter(status=CaseStatus.OPEN, current_step="verification",
                               division_code__startswith=cadre.division.code).first()
    services.reject_case(cadre, case, reason="申请人主动撤回申请", today=today())
    with pytest.raises(DemoError, match="操作留痕"):
        build(force=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED


@pytest.mark.django_db
@pytest.mark.parametrize("profile", ["fengdu", "jinan", "mucang", "suyuan"])
def test_other_profiles_ship_cases_at_every_step_of_their_procedure_R_ID_03(profile):
    result = build(profile)
    cases = Case.objects.filter(division_code__startswith=result.county.code)
    for step in steps_of(profile):
        assert cases.filter(status=CaseStatus.OPEN, current_step=step.key).exists(), step.key
    assert cases.filter(status=CaseStatus.FILED).exists() and cases.filter(status=CaseStatus.REJECTED).exists()
