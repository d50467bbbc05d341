"""Per-step rules: application with signed consent, verification by at least two named people with a home
visit (R-ID-03), cross-check evidence never rejecting automatically (R-WARN-04), filing (R-ID-07)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from fangpin.audit.models import Event
from fangpin.cases import services
from fangpin.cases.models import CaseAttachment, CaseStatus, CaseStep
from fangpin.registry.models import MonitoringStatus

from .conftest import DAY, advance, application, cross_check, decision, verification


@pytest.mark.parametrize("change, field, message", [
    ({"consent_signed": False}, "consent_signed", "须签署承诺授权书"),
    ({"consent_date": ""}, "consent_date", "承诺授权书签署日期不能为空"),
    ({"applicant_id": 999999}, "applicant_id", "申请人必须是本户在户的家庭成员"),
    ({"risk_types": []}, "risk_types", "至少选择一项风险类型"),
    ({"risk_types": ["因懒"]}, "risk_types", "风险类型“因懒”不在字典值中"),
    ({"category": "ordinary"}, "category", "拟纳入类别应为本县监测对象类别之一"),
    ({"category": "marginal_at_risk"}, "category", "该户当前为脱贫户，不能认定为边缘易致贫户"),
    ({"application_date": "2026-05-12"}, "application_date", "申请日期不能晚于2026-05-11"),
    ({"application_date": "2026/05/11"}, "application_date", "格式不正确"),
    ({"reasons": "  "}, "reasons", "申请理由不能为空"),
    ({"long_resident": None}, "long_resident", "请说明是否在本县长期居住"),
    ({"medical_expense": "一万"}, "medical_expense", "必须是数字"),
])
def test_a_bad_application_is_refused_naming_the_field_and_nothing_is_saved_R_ID_03(
        applicant_household, personas, change, field, message):
    from fangpin.cases.models import Case

    with pytest.raises(ValidationError) as err:
        services.open_case(personas["cadre_a"], applicant_household,
                           application=application(applicant_household, **change), today=DAY)
    assert message in err.value.message_dict[field][0]
    assert not Case.objects.exists() and not Event.objects.filter(action__startswith="case").exists()


def test_the_reference_number_is_unique_per_county_and_year_and_has_a_check_code(households, personas, county):
    from tests.factories import household

    refs = set()
    for i in range(3):
        h = household(county["grid_a1"], f"34062110020100{90 + i}", f"测试{i}", category="formerly_poor")
        refs.add(services.open_case(personas["cadre_a"], h, application=application(h), today=DAY).case.reference)
    assert refs == {"SB-340621-2026-000001", "SB-340621-2026-000002", "SB-340621-2026-000003"}
    assert services.check_code_for("SB-340621-2026-000001") != services.check_code_for("SB-340621-2026-000002")


def test_a_monitored_household_is_not_identified_twice(households, personas):
    h = households["a2"]  # already monitored
    with pytest.raises(ValidationError, match="已是监测对象"):
        services.open_case(personas["cadre_a"], h, application=application(h, category="marginal_at_risk"), today=DAY)


def test_grid_workers_take_applications_but_cannot_verify(applicant_household, personas):
    case = services.open_case(personas["grid_worker"], applicant_household,
                              application=application(applicant_household), today=DAY).case
    assert case.opened_by == personas["grid_worker"]
    with pytest.raises(PermissionDenied, match="村初核.*只能由村干部、乡镇工作人员办理，您的角色是网格员"):
        services.act(personas["grid_worker"], case, "verification", verification(), today=DAY)


@pytest.mark.parametrize("change, field, message", [
    ({"verifiers": [{"name": "蔡书记"}]}, "verifiers", "核查组成员不得少于2人"),
    ({"verifiers": [{"name": "蔡书记"}, {"name": "蔡书记"}]}, "verifiers", "核查组成员姓名重复"),
    ({"verifiers": "蔡书记 村两委\n\n"}, "verifiers", "不得少于2人"),
    ({"visit_date": "2026-05-10"}, "visit_date", "入户核实日期不能早于申请日期"),
    ({"findings": ""}, "findings", "核实情况不能为空"),
    ({"outcome": "maybe"}, "outcome", "请选择核实结论"),
    ({"outcome": "reject"}, "reason", "不通过理由不能为空"),
])
def test_verification_needs_two_named_verifiers_a_visit_date_and_findings_R_ID_03(opened, personas, change, field, message):
    with pytest.raises(ValidationError) as err:
        services.act(personas["cadre_a"], opened, "verification", verification(**change), today=DAY)
    assert message in err.value.message_dict[field][0]
    opened.refresh_from_db()
    assert opened.current_step == "verification" and opened.version == 1


def test_verification_keeps_attachments_and_verifier_names(opened, personas, settings):
    photo = SimpleUploadedFile("入户照片.jpg", b"\xff\xd8\xff" + b"0" * 100, content_type="image/jpeg")
    services.act(personas["cadre_a"], opened, "verification",
                 verification(verifiers="蔡书记 村两委\n张队员 驻村工作队\n李帮扶 帮扶人"), today=DAY, files=[photo])
    row = CaseStep.objects.get(case=opened, key="verification")
    assert [v["name"] for v in row.payload["verifiers"]] == ["蔡书记", "张队员", "李帮扶"]
    att = CaseAttachment.objects.get()
    assert att.step == row and att.name == "入户照片.jpg" and att.file.read().startswith(b"\xff\xd8")
    bad = SimpleUploadedFile("病毒.exe", b"MZ", content_type="application/octet-stream")
    case, _ = advance(opened, personas, until="deliberation")
    with pytest.raises(ValidationError, match="不支持的文件类型"):
        services.act(personas["cadre_a"], case, "deliberation", {}, today=DAY, files=[bad])


def test_verification_can_reject_with_a_reason_R_ID_04(opened, personas):
    services.act(personas["cadre_a"], opened, "verification",
                 verification(outcome="reject", reason="家中有两人在外稳定务工"), today=DAY)
    opened.refresh_from_db()
    assert opened.status == CaseStatus.REJECTED and opened.rejected_step == "verification"
    assert opened.rejection_reason == "入户核实不通过：家中有两人在外稳定务工"


def test_cross_check_findings_are_evidence_never_an_automatic_rejection_R_WARN_04(opened, personas):
    case, _ = advance(opened, personas, until="cross_check")
    result = services.act(personas["county_officer"], case, "cross_check",
                          cross_check(found={"vehicle": "户主名下小型轿车一辆（2015年购置）",
                                             "public_payroll": "儿媳为乡镇卫生院编外人员"}), today=DAY)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.current_step == "village_decision"
    assert "不自动否决" in result.message
    row = CaseStep.objects.get(case=case, key="cross_check")
    assert row.payload["items"]["vehicle"] == {"name": "车辆", "result": "found", "detail": "户主名下小型轿车一辆（2015年购置）"}
    assert row.payload["items"]["urban_housing"]["result"] == "none"
    assert "发现车辆、财政供养人员情况" in row.outcome


@pytest.mark.parametrize("change, field, message", [
    ({"result_vehicle": ""}, "result_vehicle", "请选择车辆比对结果"),
    ({"result_business": "found"}, "detail_business", "经营实体（工商登记）比对情况不能为空"),
    ({"result_vehicle": "found", "detail_vehicle": "一辆"}, "conclusion", "比对结论说明不能为空"),
])
def test_cross_check_input_is_validated_R_WARN_04(opened, personas, change, field, message):
    case, _ = advance(opened, personas, until="cross_check")
    with pytest.raises(ValidationError) as err:
        services.act(personas["county_officer"], case, "cross_check", cross_check(**change), today=DAY)
    assert message in err.value.message_dict[field][0]


def test_cross_check_evidence_from_other_modules_prefills_the_form(opened, personas, monkeypatch):
    monkeypatch.setattr(services, "CROSS_CHECK_PROVIDERS",
                        [lambda case: {"vehicle": {"result": "found", "detail": "公安车辆登记：轿车一辆"}}])
    assert services.cross_check_prefill(opened) == {"vehicle": {"result": "found", "detail": "公安车辆登记：轿车一辆"}}


def test_filing_makes_the_household_monitored_and_tracks_entry_within_one_day_R_ID_07(opened, personas):
    case, day = advance(opened, personas, until="county_filing")
    filed_on = day
    result = services.act(personas["county_officer"], case, "county_filing", decision(filed_on), today=day)
    assert "已备案纳入监测对象" in result.message
    case.refresh_from_db()
    h = case.household
    h.refresh_from_db()
    assert (h.monitoring_status, h.category, h.included_on, h.risk_types) == (
        MonitoringStatus.MONITORED, "unstable_formerly_poor", filed_on, ["因病"])
    event = Event.objects.get(action="household.include")
    assert event.before["monitoring_status"] == "none" and case.reference in event.after["reason"]
    assert case.system_entry_due_on == filed_on + dt.timedelta(days=1)
    items = [i["title"] for i in services_pending(personas["township_officer"], day)]
    assert any("录入全国防返贫监测信息系统" in t for t in items)
    late = filed_on + dt.timedelta(days=3)
    with pytest.raises(PermissionDenied):
        services.record_system_entry(personas["cadre_a"], case, entered_on=late, today=late)
    with pytest.raises(ValidationError, match="录入日期不能晚于"):
        services.record_system_entry(personas["township_officer"], case, entered_on=late, today=filed_on)
    result = services.record_system_entry(personas["township_officer"], case, entered_on=late, today=late)
    assert "超过期限" in result.message
    with pytest.raises(ValidationError, match="不能重复登记"):
        services.record_system_entry(personas["township_officer"], case, entered_on=late, today=late)
    with pytest.raises(ValidationError, match="已备案纳入"):
        services.act(personas["county_officer"], case, "county_filing", decision(day), today=day)


def test_county_filing_can_refuse_with_a_reason(opened, personas):
    case, day = advance(opened, personas, until="county_filing")
    services.act(personas["county_officer"], case, "county_filing",
                 decision(day, decision="reject", reason="县级比对发现家庭成员为财政供养人员"), today=day)
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED and "财政供养" in case.rejection_reason
    case.household.refresh_from_db()
    assert case.household.monitoring_status == MonitoringStatus.NONE


def services_pending(user, day):
    from fangpin.cases.selectors import pending_for

    return pending_for(user, day)
