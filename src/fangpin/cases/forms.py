"""Forms render and collect input for phones; the services validate (one set of Chinese messages
for pages and API). Field names equal the service payload keys, so errors land on the right field."""

from __future__ import annotations

from django import forms

from fangpin.registry import vocab

from .models import Objection

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YES_NO_UNKNOWN = [("", "未核实/不变"), ("1", "是"), ("0", "否")]
YES_NO = [("", "请选择"), ("1", "是"), ("0", "否")]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.heic,.doc,.docx,.xls,.xlsx"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _date(label, **kw):
    return forms.DateField(label=label, required=False, widget=DATE, input_formats=["%Y-%m-%d"], **kw)


def _text(label, rows=None, **kw):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(label=label, required=False, widget=widget, **kw)


class StepForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def payload(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("version", "attachments")}
        for k, v in list(data.items()):
            if hasattr(v, "isoformat"):
                data[k] = v.isoformat()
        return data


class ApplicationForm(StepForm):
    applicant_id = forms.ChoiceField(label="申请人（家庭成员）", required=False)
    application_date = _date("申请日期")
    reasons = _text("申请理由（家庭变故、困难情况）", rows=3)
    risk_types = forms.MultipleChoiceField(label="风险类型", required=False, widget=forms.CheckboxSelectMultiple)
    category = forms.ChoiceField(label="拟纳入类别", required=False)
    consent_signed = forms.BooleanField(label="申请人已签署承诺授权书（如实申报、授权核查家庭经济状况）", required=False)
    consent_date = _date("承诺授权书签署日期")
    long_resident = forms.ChoiceField(label="是否在本县长期居住", choices=YES_NO, required=False)
    medical_expense = forms.CharField(label="申请前12个月医疗自付支出（元）", required=False)
    other_rigid_expense = forms.CharField(label="申请前12个月其他刚性支出（元，如教育、灾害损失）", required=False)
    can_repair_house = forms.ChoiceField(label="住房如为C/D级，是否有能力自行修缮", choices=YES_NO_UNKNOWN, required=False)
    attachments = MultipleFileField(label="申请书、承诺授权书等（可多选拍照上传）")

    def __init__(self, *args, members=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applicant_id"].choices = [("", "请选择")] + [(str(m.pk), f"{m.name}（{m.relation}）") for m in members]
        self.fields["risk_types"].choices = [(v, v) for v in vocab.values("risk_type")]
        self.fields["category"].choices = [("", "请选择")] + list(categories)


class OpenCaseForm(ApplicationForm):
    source = forms.ChoiceField(label="来源", choices=[("application", "农户主动申请"), ("lead", "排查预警线索（村主动联系农户申请）")])
    lead_ref = forms.CharField(label="线索编号", required=False, max_length=40)
    lead_note = forms.CharField(label="线索说明", required=False, max_length=300)
    discovered_on = _date("线索发现日期")
    with_application = forms.BooleanField(label="农户已提交申请（同时办理户申请）", required=False, initial=True)
    field_order = ["source", "lead_ref", "lead_note", "discovered_on", "with_application"]


class VerificationForm(StepForm):
    verifiers = _text("核查组成员（每行一人：姓名 单位/身份，不少于2人）", rows=3)
    visit_date = _date("入户核实日期")
    findings = _text("核实情况（收入、支出、住房、教育、医疗、饮水等）", rows=4)
    long_resident = forms.ChoiceField(label="核实：是否在本县长期居住", choices=YES_NO_UNKNOWN, required=False)
    can_repair_house = forms.ChoiceField(label="核实：住房C/D级是否有能力自行修缮", choices=YES_NO_UNKNOWN, required=False)
    medical_expense = forms.CharField(label="核实：申请前12个月医疗自付支出（元，不填则沿用申报数）", required=False)
    other_rigid_expense = forms.CharField(label="核实：其他刚性支出（元，不填则沿用申报数）", required=False)
    outcome = forms.ChoiceField(label="核实结论", choices=[("pass", "核实通过，提交评议"), ("reject", "核实不通过")],
                                widget=forms.RadioSelect, required=False)
    reason = _text("不通过理由", rows=2)
    override_note = _text("系统评估未显示符合条件时，核实通过的依据", rows=2)
    attachments = MultipleFileField(label="入户照片、核查记录")


class DeliberationForm(StepForm):
    meeting_date = _date("评议会日期")
    group_name = forms.CharField(label="评议村民小组", required=False, max_length=60)
    approvals = forms.CharField(label="赞成人数", required=False, widget=forms.NumberInput(attrs={"min": 0}))
    attendees = _text("到会人员名单", rows=2)
    minutes = _text("评议情况", rows=3)
    attachments = MultipleFileField(label="评议记录、签到表")

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        fields = {}
        for g in groups:
            fields[f"expected_{g['code']}"] = forms.CharField(
                label=f"应到{g['name']}人数", required=False, widget=forms.NumberInput(attrs={"min": 0}))
            fields[f"present_{g['code']}"] = forms.CharField(
                label=f"实到{g['name']}人数", required=False, widget=forms.NumberInput(attrs={"min": 0}))
        order = ["version", "meeting_date", "group_name", *fields, "approvals", "attendees", "minutes", "attachments"]
        self.fields.update(fields)
        self.order_fields(order)


class CrossCheckForm(StepForm):
    checked_on = _date("比对日期")
    source = forms.ChoiceField(label="比对来源", choices=[("manual", "县级组织比对后手工录入"), ("warnings", "部门数据比对结果")],
                               required=False)
    conclusion = _text("比对结论说明（发现情况时必填；比对结果仅作评议、审定参考，不搞“一刀切”）", rows=3)
    attachments = MultipleFileField(label="比对反馈材料")

    def __init__(self, *args, items=(), **kwargs):
        from .services import CROSS_CHECK_RESULTS

        super().__init__(*args, **kwargs)
        fields = {}
        for item in items:
            fields[f"result_{item['code']}"] = forms.ChoiceField(
                label=f"{item['name']}", choices=list(CROSS_CHECK_RESULTS.items()), widget=forms.RadioSelect,
                required=False)
            fields[f"detail_{item['code']}"] = forms.CharField(label=f"{item['name']}：具体情况", required=False)
        self.fields.update(fields)
        self.order_fields(["version", "checked_on", "source", *fields, "conclusion", "attachments"])


class DecisionForm(StepForm):
    meeting_date = _date("会议/备案日期")
    decision = forms.ChoiceField(label="研究结论", choices=[("approve", "同意纳入"), ("reject", "不同意纳入")],
                                 widget=forms.RadioSelect, required=False)
    reason = _text("不同意的理由", rows=2)
    category = forms.ChoiceField(label="纳入类别", required=False)
    note = _text("会议情况（参会人员、表决情况等）", rows=3)
    attachments = MultipleFileField(label="会议记录")

    def __init__(self, *args, categories=(), meeting_label="会议日期", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = list(categories)
        self.fields["meeting_date"].label = meeting_label


class ReasonForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label="理由", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ObjectionForm(forms.Form):
    received_on = _date("收到异议日期")
    content = _text("异议内容", rows=3)
    raised_by = forms.CharField(label="反映人（可不填，匿名反映同样受理）", required=False, max_length=60)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label="处理结果", widget=forms.RadioSelect, required=False,
                                choices=[(k, v) for k, v in Objection.Outcome.choices if k in Objection.RESOLVABLE])
    resolution = _text("核实处理情况", rows=3)


class SystemEntryForm(forms.Form):
    entered_on = _date("录入全国防返贫监测信息系统日期")


class StatusForm(forms.Form):
    reference = forms.CharField(label="受理编号", max_length=30, widget=forms.TextInput(attrs={"placeholder": "如 SB-340621-2026-000123"}))
    check_code = forms.CharField(label="查询码（回执上的4位字母数字）", max_length=8)
