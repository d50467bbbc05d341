"""Raising leads from every channel, merging duplicates, persons not yet registered (R-DISC-01)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from fangpin.audit.models import Event
from fangpin.discovery import services
from fangpin.discovery.models import PUBLIC_CHANNELS, Channel, Lead, LeadAttachment, LeadReport, LeadState
from fangpin.registry.models import Household
from tests.discovery.conftest import DAY, raise_for
from tests.factories import id_number

pytestmark = pytest.mark.django_db


def _counts():
    return (Lead.objects.count(), LeadReport.objects.count(), LeadAttachment.objects.count(),
            Event.objects.filter(action__startswith="lead.").count(), Household.objects.count())


@pytest.mark.parametrize("channel", [c for c in Channel.values if c not in PUBLIC_CHANNELS])
def test_a_lead_from_every_staff_channel_R_DISC_01(channel, households, personas):
    h = households["a1"]
    result = raise_for(personas["cadre_a"], h, channel=channel, source_detail="工单 2026-0511-01",
                       reporter_name="群众来电")
    lead = result.lead
    assert lead.channel == channel and lead.household == h and lead.division_code == h.division_code
    assert lead.reference.startswith("XS-340621-2026-") and len(lead.check_code) == 4
    assert lead.reports.get().channel == channel
    # Found in the village: it goes straight to verification, due the next (calendar) day.
    assert lead.state == LeadState.AWAITING_VERIFICATION
    assert lead.current_due_on == DAY + dt.timedelta(days=1)
    assert Event.objects.filter(action="lead.raise", object_id=str(lead.pk)).exists()


def test_a_qr_self_declaration_needs_no_account_and_reaches_the_village_R_DISC_01(county, households):
    holder = households["b1"].members.get(relation="户主")
    result = services.raise_lead(None, channel=Channel.QR_SELF_DECLARATION, division_code=county["vb"].code,
                                 id_number=holder.id_number, person_name=holder.name, person_phone="13955610000",
                                 risk_types=["因病"], description="我家老伴住院，花了很多钱", today=DAY)
    lead = result.lead
    assert lead.household == households["b1"] and lead.reporter is None
    assert lead.state == LeadState.AWAITING_VERIFICATION  # for the village to verify, never a case by itself
    assert not hasattr(lead, "case") or lead.case is None
    assert result.report.reference == lead.reference and result.report.check_code == lead.check_code


def test_a_qr_declaration_names_no_household_outside_its_village_R_DISC_01(county, households):
    """Someone else's ID number typed on village B's page does not attach village A's household."""
    holder = households["a1"].members.get(relation="户主")
    lead = services.raise_lead(None, channel=Channel.QR_SELF_DECLARATION, division_code=county["vb"].code,
                               id_number=holder.id_number, person_name="某人", person_phone="13955610000",
                               description="家里困难", today=DAY).lead
    assert lead.household is None and lead.division_code == county["vb"].code


def test_staff_cannot_use_the_public_channel_nor_the_public_submit_without_the_public_channel_R_DISC_01(
        households, personas):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        raise_for(personas["cadre_a"], households["a1"], channel=Channel.QR_SELF_DECLARATION)
    assert "扫码" in str(exc.value)
    with pytest.raises(PermissionDenied):
        services.raise_lead(None, channel=Channel.HOTLINE_12317, household=households["a1"], description="x")
    assert _counts() == before


def test_a_county_found_lead_waits_for_dispatch_R_DISC_03(households, personas):
    lead = raise_for(personas["department"], households["a1"], channel=Channel.DEPARTMENT_WARNING,
                     source_detail="医保局 2026年4月大额自付预警").lead
    assert lead.state == LeadState.AWAITING_DISPATCH and lead.origin_code == "340621"
    assert lead.current_due_on == DAY + dt.timedelta(days=1)
    assert lead.params["deadlines.lead_to_township_days"] == 1


def test_a_second_report_about_the_same_household_is_merged_R_DISC_01(households, personas):
    first = raise_for(personas["grid_worker"], households["a1"], channel=Channel.VISIT).lead
    before = Lead.objects.count()
    second = raise_for(personas["county_officer"], households["a1"], channel=Channel.HOTLINE_12345,
                       risk_types=["因学"], description="邻居来电反映该户孩子上学困难", today=DAY + dt.timedelta(days=1))
    assert second.merged and second.lead.pk == first.pk and Lead.objects.count() == before
    lead = Lead.objects.get(pk=first.pk)
    assert lead.risk_types == ["因病", "因学"]
    assert [r.channel for r in lead.reports.order_by("id")] == [Channel.VISIT, Channel.HOTLINE_12345]
    assert lead.reports.order_by("id").last().merged
    assert lead.state == LeadState.AWAITING_VERIFICATION  # the clock of the first report keeps running
    assert "已合并" in second.message and second.report.reference != lead.reference
    assert Event.objects.filter(action="lead.merge", object_id=str(lead.pk)).count() == 1


def test_a_report_after_the_lead_was_verified_is_a_new_lead_R_DISC_01(households, personas):
    first = raise_for(personas["cadre_a"], households["a1"]).lead
    services.verify_lead(personas["township_officer"], first, verifiers="孙站长 乡镇\n蔡书记 村", visited_on=DAY,
                         findings="核实：已康复出院，收入稳定", outcome="not_eligible", reason="已出院，医保报销后自付较少", today=DAY)
    second = raise_for(personas["cadre_a"], households["a1"], today=DAY + dt.timedelta(days=3)).lead
    assert second.pk != first.pk


def test_an_unregistered_person_stays_on_the_lead_until_verification_R_DISC_01(county, personas):
    before = Household.objects.count()
    number = id_number(dt.date(1980, 2, 3))
    lead = raise_for(personas["cadre_a"], None, id_number=number, person_name="陈新来", person_phone="13955619999",
                     address="蔡桥村东头", division_code=county["va"].code).lead
    assert lead.household is None and lead.person_id_number == number and lead.person_name == "陈新来"
    assert Household.objects.count() == before
    again = raise_for(personas["grid_worker"], None, id_number=number, person_name="陈新来",
                      division_code=county["grid_a1"].code, channel=Channel.HOTLINE_12317)
    assert again.merged and again.lead.pk == lead.pk


def test_a_registered_person_is_matched_by_id_number_R_DISC_01(households, personas, county):
    holder = households["a1"].members.get(relation="配偶")
    lead = raise_for(personas["cadre_a"], None, id_number=holder.id_number.lower(), person_name="随便写",
                     division_code=county["va"].code).lead
    assert lead.household == households["a1"] and lead.person_name == holder.name


def test_a_person_registered_outside_the_area_is_not_revealed_R_DISC_01(households, personas, county):
    """Village B's cadre types the ID of a village A member: treated as unregistered here, nothing said."""
    holder = households["a1"].members.get(relation="户主")
    lead = raise_for(personas["cadre_b"], None, id_number=holder.id_number, person_name="蔡德胜",
                     division_code=county["vb"].code).lead
    assert lead.household is None and lead.division_code == county["vb"].code


def test_a_household_outside_the_users_area_is_refused_and_nothing_stored_R_DISC_01(households, personas):
    before = _counts()
    with pytest.raises(PermissionDenied) as exc:
        raise_for(personas["cadre_b"], households["a1"])
    assert "管辖范围" in str(exc.value)
    assert _counts() == before


@pytest.mark.parametrize(("over", "field", "text"), [
    ({"description": ""}, "description", "情况描述不能为空"),
    ({"risk_types": ["因穷"]}, "risk_types", "不在字典值中"),
    ({"channel": "carrier_pigeon"}, "channel", "请选择来源渠道"),
    ({"discovered_on": "2026-13-01"}, "discovered_on", "发现日期格式不正确"),
    ({"discovered_on": "2026-06-01"}, "discovered_on", "不能晚于"),
    ({"reporter_phone": "12345"}, "reporter_phone", "反映人电话格式不正确"),
])
def test_bad_input_is_refused_with_the_field_named_and_nothing_half_saved_R_DISC_01(over, field, text, households,
                                                                                     personas):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        raise_for(personas["cadre_a"], households["a1"], **over)
    assert text in exc.value.message_dict[field][0]
    assert _counts() == before


def test_an_unregistered_person_needs_a_name_and_a_village_R_DISC_01(personas, county):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        raise_for(personas["cadre_a"], None, id_number="340621198001011234")
    errors = exc.value.message_dict
    assert "身份证号" in errors["id_number"][0]
    with pytest.raises(ValidationError) as exc:
        raise_for(personas["cadre_a"], None, person_name="陈某", division_code=county["vc"].code)
    assert "不在您的管辖范围内" in exc.value.message_dict["division_code"][0]
    assert _counts() == before


def test_an_oversized_or_wrong_type_attachment_is_refused_R_DISC_01(households, personas):
    before = _counts()
    exe = SimpleUploadedFile("病历.exe", b"MZ")
    with pytest.raises(ValidationError) as exc:
        raise_for(personas["cadre_a"], households["a1"], files=[exe])
    assert "线索材料无法上传" in exc.value.message_dict["attachments"][0]
    assert _counts() == before


def test_attachments_are_kept_with_the_report_R_DISC_01(households, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("住院证明.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100, content_type="image/jpeg")
    result = raise_for(personas["grid_worker"], households["a1"], files=[photo])
    att = result.lead.attachments.get()
    assert att.report == result.report and att.name == "住院证明.jpg" and att.size == 104
