"""The demo county's leads (R-DISC-01, R-DISC-03): every channel in every state, overdue ones, cases
opened from verified leads, real work for each demo role on first login, a rebuild that still works."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from fangpin.accounts.models import User
from fangpin.cases.models import Case, CaseSource
from fangpin.discovery.demo import possible_pairs
from fangpin.discovery.models import Channel, Lead, LeadReport, LeadState
from fangpin.discovery.selectors import leads_visible_to, overdue_leads, pending_for
from fangpin.registry.demo import build_demo

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 5, 11)


def test_the_demo_county_ships_leads_from_every_channel_in_every_state_R_DISC_01():
    started = time.monotonic()
    build_demo("suixi", 3000, 7, as_of=AS_OF, analyze=False)
    assert time.monotonic() - started < 120
    pairs = set(Lead.objects.values_list("channel", "state"))
    assert set(possible_pairs()) <= pairs and len(possible_pairs()) == len(Channel.values) * len(LeadState.values) - 1
    assert overdue_leads(User.objects.get(username="county"), AS_OF).exists()
    assert LeadReport.objects.filter(merged=True).exists()
    assert Lead.objects.filter(household__isnull=True).exclude(person_id_number="").exists()
    opened = Lead.objects.filter(state=LeadState.CASE_OPENED)
    assert opened.exists() and not opened.filter(case__isnull=True).exists()
    case = opened.first().case
    assert case.source == CaseSource.LEAD and case.origin_lead.reference == case.lead_ref
    assert case.steps.get().status == "current" and case.current_due_on is not None
    # Each role has lead work on first login.
    for username in ("county", "township", "cadre"):
        user = User.objects.get(username=username)
        assert pending_for(user, AS_OF), username
    grid = User.objects.get(username="grid")
    assert leads_visible_to(grid).exists()
    # Numbers continue after the demo: a real lead or case never collides with a demo one.
    assert Lead.objects.values("reference").distinct().count() == Lead.objects.count()


def test_a_demo_county_with_leads_can_be_rebuilt_R_DISC_01():
    build_demo("suixi", 600, 7, as_of=AS_OF, analyze=False)
    first = Lead.objects.count()
    build_demo("suixi", 600, 8, as_of=AS_OF, analyze=False, force=True)
    assert Lead.objects.count() > 0 and Lead.objects.filter(household__isnull=True, person_id_number="").count() == 0
    assert not Lead.objects.filter(state=LeadState.CASE_OPENED, case__isnull=True).exists()
    assert Case.objects.filter(source=CaseSource.LEAD).count() == Lead.objects.filter(
        state=LeadState.CASE_OPENED).count()
    assert first > 0


def test_every_demo_role_opens_the_lead_pages_R_DISC_01(client):
    from django.urls import reverse

    build_demo("suixi", 600, 7, as_of=AS_OF, analyze=False)
    samples = [Lead.objects.filter(state=s).first() for s in LeadState.values]
    samples.append(Lead.objects.exclude(serious_kind="").first())
    for username in ("county", "township", "cadre", "grid", "contact", "yibao", "supervisor"):
        client.force_login(User.objects.get(username=username))
        for name in ("discovery:lead_list", "discovery:overdue", "discovery:flow", "home"):
            assert client.get(reverse(name)).status_code == 200, (username, name)
        for lead in samples:
            if lead is not None and leads_visible_to(User.objects.get(username=username)).filter(pk=lead.pk).exists():
                assert client.get(reverse("discovery:lead_detail", args=[lead.pk])).status_code == 200
