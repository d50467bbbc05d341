"""Lead pages (R-DISC-01, R-DISC-03, R-DISC-04): list and filters, raising on a phone, the timeline,
the action forms, overdue per responsible division and person, flows by channel, home-page pending
actions, the public status page — scoped and masked per role."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from fangpin.discovery import services
from fangpin.discovery.models import Channel, Lead, LeadState
from tests.discovery.conftest import DAY, raise_for, two_people
from tests.factories import id_number

pytestmark = pytest.mark.django_db
LATER = DAY + dt.timedelta(days=3)


@pytest.fixture
def frozen(monkeypatch):
    """Pages use today in Asia/Shanghai: pin it."""
    import fangpin.discovery.selectors as selectors_module
    import fangpin.discovery.views as views_module

    for module in (views_module, selectors_module):
        if hasattr(module, "today"):
            monkeypatch.setattr(module, "today", lambda: LATER)
    monkeypatch.setattr("fangpin.profiles.services.today", lambda: LATER)
    return LATER


def test_the_list_filters_by_channel_state_overdue_and_village_R_DISC_01(households, personas, login, frozen):
    raise_for(personas["cadre_a"], households["a1"], channel=Channel.VISIT)
    raise_for(personas["county_officer"], households["b1"], channel=Channel.HOTLINE_12317, today=LATER)
    client = login(personas["township_officer"])
    url = reverse("discovery:lead_list")
    body = client.get(url).content.decode()
    assert "共 2 条" in body
    assert "共 1 条" in client.get(url, {"channel": "hotline_12317"}).content.decode()
    assert "共 1 条" in client.get(url, {"state": "dispatch"}).content.decode()
    assert "共 1 条" in client.get(url, {"overdue": "1"}).content.decode()  # the village lead, due DAY+1
    assert "共 1 条" in client.get(url, {"village": "340621100202"}).content.decode()
    # Another village sees neither.
    assert "共 0 条" in login(personas["cadre_b"]).get(url, {"village": "340621100201"}).content.decode()


def test_a_grid_worker_raises_a_lead_on_the_phone_page_R_DISC_01(households, personas, login, frozen):
    client = login(personas["grid_worker"])
    page = client.get(reverse("discovery:lead_new") + f"?household={households['a1'].pk}")
    assert page.status_code == 200 and "户3406211002010001" in page.content.decode()
    r = client.post(reverse("discovery:lead_new"), {
        "household": households["a1"].pk, "channel": "visit", "risk_types": ["因病"],
        "description": "走访发现户主住院"})
    lead = Lead.objects.get()
    assert r.status_code == 302 and r.url == reverse("discovery:lead_detail", args=[lead.pk])
    assert lead.reporter == personas["grid_worker"] and lead.state == LeadState.AWAITING_VERIFICATION


def test_bad_input_on_the_page_keeps_what_was_typed_and_saves_nothing_R_DISC_01(households, personas, login):
    client = login(personas["cadre_a"])
    r = client.post(reverse("discovery:lead_new"), {
        "household": households["a1"].pk, "channel": "visit", "description": "", "reporter_phone": "12345",
        "source_detail": "村民小组长反映"})
    body = r.content.decode()
    assert r.status_code == 200 and "情况描述不能为空" in body and "反映人电话格式不正确" in body
    assert "村民小组长反映" in body and not Lead.objects.exists()


def test_a_household_of_another_village_is_404_on_the_raise_page_R_DISC_01(households, personas, login):
    client = login(personas["cadre_b"])
    assert client.get(reverse("discovery:lead_new") + f"?household={households['a1'].pk}").status_code == 404
    r = client.post(reverse("discovery:lead_new"), {"household": households["a1"].pk, "channel": "visit",
                                                    "description": "x"})
    assert r.status_code == 404 and not Lead.objects.exists()


def test_verification_by_one_person_on_the_page_is_refused_R_DISC_03(households, personas, login, frozen):
    lead = raise_for(personas["cadre_a"], households["a1"], today=LATER).lead
    client = login(personas["township_officer"])
    url = reverse("discovery:lead_verify", args=[lead.pk])
    data = {"version": lead.version, "verifiers": "孙站长 乡镇", "visited_on": LATER.isoformat(),
            "findings": "只去了一个人", "outcome": "open_case"}
    body = client.post(url, data).content.decode()
    assert "两人同行" in body and "只去了一个人" in body
    lead.refresh_from_db()
    assert lead.state == LeadState.AWAITING_VERIFICATION and lead.verifiers == []
    r = client.post(url, {**data, "verifiers": "孙站长 乡镇\n蔡书记 村两委"})
    assert r.status_code == 302
    lead.refresh_from_db()
    detail = client.get(reverse("discovery:lead_detail", args=[lead.pk])).content.decode()
    assert lead.case.reference in detail and "本线索为该案件的来源" in detail
    case_page = client.get(reverse("cases:case_detail", args=[lead.case.pk])).content.decode()
    assert reverse("discovery:lead_detail", args=[lead.pk]) in case_page and lead.reference in case_page


def test_the_detail_masks_personal_data_for_a_grid_worker_R_DISC_01(county, personas, login, frozen):
    number = id_number(dt.date(1980, 2, 3))
    lead = raise_for(personas["cadre_a"], None, id_number=number, person_name="陈新来", person_phone="13955619999",
                     division_code=county["grid_a1"].code, description=f"本人身份证{number}，电话13955619999").lead
    grid_page = login(personas["grid_worker"]).get(reverse("discovery:lead_detail", args=[lead.pk])).content.decode()
    assert number not in grid_page and number[:4] in grid_page
    cadre_page = login(personas["cadre_a"]).get(reverse("discovery:lead_detail", args=[lead.pk])).content.decode()
    assert number in cadre_page


def test_action_pages_refuse_the_wrong_role_R_DISC_03(households, personas, login):
    lead = raise_for(personas["cadre_a"], households["a1"]).lead
    client = login(personas["grid_worker"])
    for name in ("lead_dispatch", "lead_verify", "lead_close", "lead_serious", "lead_serious_report"):
        assert client.get(reverse(f"discovery:{name}", args=[lead.pk])).status_code == 403, name


def test_overdue_leads_per_responsible_division_and_person_R_DISC_03(households, personas, login, frozen):
    raise_for(personas["county_officer"], households["b1"], channel=Channel.PETITION)  # dispatch overdue
    raise_for(personas["county_officer"], households["c1"], channel=Channel.PUBLIC_OPINION)  # another township
    lead = raise_for(personas["cadre_a"], households["a1"]).lead
    Lead.objects.filter(pk=lead.pk).update(assignee=personas["cadre_a"])
    body = login(personas["county_officer"]).get(reverse("discovery:overdue")).content.decode()
    assert "逾期线索（3条）" in body
    # Leads not yet passed on are the county office's: one row for the county, whatever their township.
    assert body.count("县乡村振兴局</td>") == 1
    assert re.search(r"濉溪县</td><td data-label=\"责任人\">县乡村振兴局</td><td data-label=\"合计\"><b>2</b>", body)
    assert "濉溪镇" in body and "蔡书记" in body


def test_flows_by_channel_and_overdue_verification_per_township_R_DISC_03(households, personas, login, frozen):
    raise_for(personas["cadre_a"], households["a1"], channel=Channel.VISIT)
    raise_for(personas["county_officer"], households["c1"], channel=Channel.HOTLINE_12345, today=LATER)
    raise_for(personas["county_officer"], households["a1"], channel=Channel.PUBLIC_OPINION, today=LATER)  # merged
    body = login(personas["county_officer"]).get(reverse("discovery:flow")).content.decode()
    assert "共 2 条线索" in body and "核实逾期 <b>1</b> 条" in body
    row = re.search(r"12345政务服务热线</a></td><td data-label=\"线索\"><b>(\d+)</b></td><td data-label=\"反映次数\">(\d+)",
                    body)
    assert row and row.groups() == ("1", "1")
    opinion = re.search(r"舆情</a></td><td data-label=\"线索\"><b>(\d+)</b></td><td data-label=\"反映次数\">(\d+)", body)
    assert opinion.groups() == ("0", "1")  # a report merged into the visit's lead
    town = login(personas["township_officer"]).get(reverse("discovery:flow")).content.decode()
    assert "共 1 条线索" in town and "韩村镇" not in town


def test_overdue_verification_is_on_the_townships_home_page_R_DISC_03(households, personas, login, frozen):
    lead = raise_for(personas["cadre_a"], households["a1"]).lead
    body = login(personas["township_officer"]).get(reverse("home")).content.decode()
    assert lead.reference in body and "待两人同行入户核实" in body
    assert login(personas["cadre_b"]).get(reverse("home")).content.decode().count(lead.reference) == 0


def test_the_public_status_page_follows_a_report_without_personal_data_R_DISC_01(households, personas, client):
    lead = raise_for(personas["cadre_a"], households["a1"]).lead
    services.verify_lead(personas["township_officer"], lead, today=DAY,
                         **two_people(outcome="not_eligible", reason="户主蔡德胜电话13855612345，已出院"))
    r = client.post(reverse("cases:public_status"), {"reference": lead.reference, "check_code": lead.check_code})
    body = r.content.decode()
    assert "不符合识别条件" in body and "销号理由" in body
    assert "蔡德胜" not in body and "13855612345" not in body
    wrong = client.post(reverse("cases:public_status"), {"reference": lead.reference, "check_code": "ZZZZ"})
    assert "查询码不正确" in wrong.content.decode()
