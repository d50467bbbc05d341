"""Forms render and collect input on a phone; the services validate (one set of Chinese messages for
pages and API). Field names equal the service's keyword arguments, so errors land on the right field."""

from __future__ import annotations

from django import forms

from fangpin.cases.forms import DATE, MultipleFileField
from fangpin.registry import vocab

from .models import PUBLIC_CHANNELS, Channel, Outcome, SeriousKind

STAFF_CHANNELS = [(k, v) for k, v in Channel.choices if k not in PUBLIC_CHANNELS]


def _text(label, rows=None, **kw):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(label=label, required=False, widget=widget, **kw)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class RaiseForm(forms.Form):
    channel = forms.ChoiceField(label="来源渠道", choices=[("", "请选择"), *STAFF_CHANNELS], required=False)
    source_detail = _text("来源说明（工单号、部门、来文等，可不填）", max_length=200)
    household = forms.CharField(widget=forms.HiddenInput, required=False)
    id_number = _text("当事人身份证号（在册人员自动匹配到户）", max_length=22)
    person_name = _text("当事人姓名（未在册人员必填）", max_length=40)
    person_phone = _text("当事人联系电话", max_length=20)
    division_code = forms.ChoiceField(label="所在村（社区）", required=False)
    address = _text("住址", max_length=120)
    risk_types = forms.MultipleChoiceField(label="风险类型（可多选）", required=False,
                                           widget=forms.CheckboxSelectMultiple)
    description = _text("情况描述", rows=4)
    discovered_on = forms.DateField(label="发现日期（不填为今天）", required=False, widget=DATE,
                                    input_formats=["%Y-%m-%d"])
    reporter_name = _text("反映人（来电人、来信人等，可不填）", max_length=60)
    reporter_phone = _text("反映人电话", max_length=20)
    assignee = forms.ChoiceField(label="核实责任人（可不填）", required=False)
    attachments = MultipleFileField(label="材料（照片、病历、来文等，每个不超过10MB）")

    def __init__(self, *args, divisions=(), assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["risk_types"].choices = [(v, v) for v in vocab.values("risk_type")]
        self.fields["division_code"].choices = [("", "请选择（已在册农户可不选）"), *divisions]
        if assignees:
            self.fields["assignee"].choices = [("", "暂不指定"), *assignees]
        else:
            del self.fields["assignee"]
        self.fields["id_number"].widget.attrs.update({"autocomplete": "off", "inputmode": "text"})
        self.fields["person_phone"].widget.attrs.update({"inputmode": "tel"})
        self.fields["reporter_phone"].widget.attrs.update({"inputmode": "tel"})


class DispatchForm(VersionForm):
    assignee = forms.ChoiceField(label="核实责任人（乡镇或村工作人员，可不填）", required=False)
    note = _text("转交说明", rows=2, max_length=300)

    def __init__(self, *args, assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "暂不指定"), *assignees]


class VerifyForm(VersionForm):
    verifiers = _text("核实人员（两人同行，每行一人：姓名 单位/身份）", rows=3)
    visited_on = forms.DateField(label="入户核实日期", required=False, widget=DATE, input_formats=["%Y-%m-%d"])
    findings = _text("核实情况", rows=4)
    outcome = forms.ChoiceField(label="核实结论", choices=Outcome.choices, required=False, widget=forms.RadioSelect)
    reason = _text("销号理由（不符合识别条件时必填）", rows=2)
    id_number = _text("当事人身份证号（未在册且登记时未填写的，启动识别前须补填）", max_length=22)
    attachments = MultipleFileField(label="核实材料（照片、签字记录等）")

    def __init__(self, *args, needs_id=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_id:
            del self.fields["id_number"]


class CloseForm(VersionForm):
    note = _text("报送说明（可不填）", rows=2, max_length=500)


class SeriousForm(VersionForm):
    kind = forms.ChoiceField(label="风险程度", choices=SeriousKind.choices, required=False, widget=forms.RadioSelect)
    note = _text("严重风险情况", rows=3)
    departments = _text("会同调查的县级部门（如 医保局、民政局）", max_length=200)


class SeriousReportForm(VersionForm):
    report = _text("会同调查情况（告知县乡村振兴局）", rows=4)
