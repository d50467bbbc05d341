"""Phone-sized forms; the services validate (one set of Chinese messages for pages and API). Field names
equal the service payload keys, so a service's error lands on its field."""

from __future__ import annotations

from django import forms

from fangpin.registry import vocab

from .models import VisitMode, VisitPurpose

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label):
    return forms.CharField(label=label, required=False, widget=DATE)


class VisitForm(forms.Form):
    visited_on = _date("走访日期")
    mode = forms.ChoiceField(label="走访方式", choices=VisitMode.choices, widget=forms.RadioSelect, required=False)
    # Monthly visits have their own form (followup:monthly_visit): one door per kind of visit.
    purpose = forms.ChoiceField(label="走访类型", required=False,
                                choices=[c for c in VisitPurpose.choices if c[0] != VisitPurpose.MONTHLY])
    companion_name = forms.CharField(label="同行人（可不填）", required=False)
    risk_found = forms.BooleanField(label="发现返贫致贫风险", required=False)
    risk_types = forms.MultipleChoiceField(label="发现的风险类型", required=False, widget=forms.CheckboxSelectMultiple)
    findings = forms.CharField(label="走访情况", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    raise_lead = forms.BooleanField(label="同时上报风险线索（发现风险时）", required=False)

    def __init__(self, *args, lead_enabled: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["risk_types"].choices = [(v, v) for v in vocab.values("risk_type")]
        if not lead_enabled:
            del self.fields["raise_lead"]

    def payload(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("raise_lead", None)
        data["risk_found"] = "1" if data.get("risk_found") else "0"
        return data


class SweepForm(forms.Form):
    name = forms.CharField(label="排查名称", required=False)
    starts_on = _date("开始日期")
    ends_on = _date("结束日期")


class ScreeningForm(forms.Form):
    department = forms.ChoiceField(label="部门", required=False)
    year = forms.CharField(label="年度", required=False, widget=forms.NumberInput)
    quarter = forms.ChoiceField(label="季度", required=False, choices=[("1", "第一季度"), ("2", "第二季度"),
                                                                      ("3", "第三季度"), ("4", "第四季度")])
    scope = forms.CharField(label="排查范围", required=False)
    households_screened = forms.CharField(label="排查户数", required=False, widget=forms.NumberInput)
    findings_count = forms.CharField(label="发现问题数", required=False, widget=forms.NumberInput)
    note = forms.CharField(label="情况说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(label="排查报告（可不传）", required=False)

    def __init__(self, *args, departments=(), fixed_department: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_department:
            del self.fields["department"]
        else:
            self.fields["department"].choices = [("", "请选择")] + [(d, d) for d in departments]

    def payload(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "file"}
