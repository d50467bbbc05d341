"""A visit that finds a risk raises a lead in the same step (R-DISC-05, R-DISC-01)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from fangpin.discovery.models import Lead
from fangpin.followup import services
from fangpin.followup.models import Visit

DAY = dt.date(2026, 11, 20)
RISK = {"visited_on": DAY.isoformat(), "mode": "home", "purpose": "must_visit", "risk_found": "1",
        "risk_types": ["因病"], "findings": "户主住院，医疗支出大"}


def test_a_visit_raises_a_lead_in_the_same_step_R_DISC_05(households, personas):
    result = services.record_visit(personas["grid_worker"], households["a1"], RISK, today=DAY, raise_lead=True)
    lead = Lead.objects.get()
    visit = result.obj
    assert lead.household == households["a1"] and lead.channel == "visit" and lead.risk_types == ["因病"]
    assert visit.lead_reference == lead.reference and lead.reference in result.message
    assert lead.description == "户主住院，医疗支出大"


def test_a_visit_without_a_risk_raises_no_lead_and_saves_nothing_R_DISC_05(households, personas):
    with pytest.raises(ValidationError) as exc:
        services.record_visit(personas["grid_worker"], households["a1"], {**RISK, "risk_found": "0", "risk_types": []},
                              today=DAY, raise_lead=True)
    assert "上报线索前请勾选“发现风险”" in exc.value.message_dict["raise_lead"][0]
    assert not Visit.objects.exists() and not Lead.objects.exists()


def test_the_phone_form_raises_the_lead_R_DISC_05(households, personas, login):
    client = login(personas["grid_worker"])
    h = households["a1"]
    page = client.get(f"/visits/household/{h.pk}/new/").content.decode()
    assert "同时上报风险线索" in page
    r = client.post(f"/visits/household/{h.pk}/new/", {**RISK, "visited_on": dt.date.today().isoformat(),
                                                        "risk_found": "on", "raise_lead": "on"})
    assert r.status_code == 302
    assert Lead.objects.get().household == h and Visit.objects.get().lead_reference
