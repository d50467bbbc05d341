"""Forms render and collect input; validation that matters lives in the services."""

from django import forms

from fangpin.policy.income import INCOME_FIELDS, LABELS

from . import vocab
from .models import HousingGrade, IncomePeriod

YES_NO = [("", "未填写"), ("1", "是"), ("0", "否")]


class HouseholdForm(forms.Form):
    village_code = forms.CharField(label="行政村区划代码", max_length=12)
    group_code = forms.CharField(label="村民小组代码", max_length=15, required=False)
    grid_code = forms.CharField(label="网格代码", max_length=17, required=False)
    number = forms.CharField(label="户编号", max_length=30)
    category = forms.ChoiceField(label="户类别")
    phone = forms.CharField(label="户联系电话", max_length=20, required=False)
    address = forms.CharField(label="住址", max_length=120, required=False)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = list(categories)


class HouseholdEditForm(forms.Form):
    phone = forms.CharField(label="户联系电话", max_length=20, required=False)
    address = forms.CharField(label="住址", max_length=120, required=False)


class CategoryForm(forms.Form):
    category = forms.ChoiceField(label="新户类别")
    reason = forms.CharField(label="调整原因", max_length=200, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = list(categories)


def _vocab_field(name, required=False):
    return forms.ChoiceField(label=vocab.label(name), choices=vocab.choices(name), required=required)


class MemberForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=40)
    id_number = forms.CharField(label="身份证号", max_length=22, help_text="性别和出生日期由身份证号自动得出")
    relation = forms.ChoiceField(label="与户主关系")
    ethnicity = forms.ChoiceField(label="民族", required=False)
    political = forms.ChoiceField(label="政治面貌", required=False)
    education = forms.ChoiceField(label="文化程度", required=False)
    student_status = forms.ChoiceField(label="在校生状况", required=False)
    health = forms.MultipleChoiceField(label="健康状况", required=False, widget=forms.CheckboxSelectMultiple)
    disability_grade = forms.ChoiceField(label="残疾等级", required=False)
    labour = forms.ChoiceField(label="劳动技能", required=False)
    employment = forms.ChoiceField(label="务工状况", required=False)
    months_worked = forms.CharField(label="务工时间（月）", required=False, initial="0")
    medical_insurance = forms.ChoiceField(label="参加城乡居民基本医疗保险", choices=YES_NO, required=False)
    serious_illness_insurance = forms.ChoiceField(label="参加大病保险", choices=YES_NO, required=False)
    pension_insurance = forms.ChoiceField(label="参加城乡居民基本养老保险", choices=YES_NO, required=False)
    dibao = forms.BooleanField(label="享受低保", required=False)
    tekun = forms.BooleanField(label="特困供养", required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("relation", "ethnicity", "political", "education", "student_status", "disability_grade", "labour", "employment"):
            self.fields[name].choices = vocab.choices(name)
        self.fields["health"].choices = vocab.choices("health", blank=False)
        if editing:
            self.fields["id_number"].disabled = True
            self.fields["id_number"].required = False

    def service_data(self):
        data = dict(self.cleaned_data)
        data["health"] = ",".join(data.get("health") or [])
        if self.fields["id_number"].disabled:
            data.pop("id_number", None)
        return data


class MoveForm(forms.Form):
    to_household = forms.CharField(label="迁入户的户编号", max_length=30)
    relation = forms.ChoiceField(label="在迁入户中与户主关系")
    reason = forms.CharField(label="迁移原因", max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relation"].choices = vocab.choices("relation")


class RemoveForm(forms.Form):
    reason = forms.CharField(label="移出原因", max_length=60, help_text="如：死亡、迁出本县、嫁出、服刑")


class IncomeForm(forms.Form):
    year = forms.IntegerField(label="年度")
    period = forms.ChoiceField(label="期间", choices=IncomePeriod.choices)
    month = forms.IntegerField(label="月份（月度收入填写）", required=False)
    household_size = forms.IntegerField(label="家庭人口数（留空按在户成员计）", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in INCOME_FIELDS:
            self.fields[name] = forms.CharField(label=f"{LABELS[name]}（元）", required=False, initial="0")


class BasicNeedsForm(forms.Form):
    food_secure = forms.ChoiceField(label="不愁吃", choices=YES_NO, required=False)
    clothing_secure = forms.ChoiceField(label="不愁穿", choices=YES_NO, required=False)
    education_secure = forms.ChoiceField(label="义务教育有保障", choices=YES_NO, required=False)
    medical_secure = forms.ChoiceField(label="基本医疗有保障", choices=YES_NO, required=False)
    housing_grade = forms.ChoiceField(label="住房安全等级", choices=[("", "未鉴定"), *HousingGrade.choices], required=False)
    water_secure = forms.ChoiceField(label="饮水安全有保障", choices=YES_NO, required=False)
    basic_needs_note = forms.CharField(label="说明", max_length=200, required=False)

    def service_data(self):
        data = dict(self.cleaned_data)
        for k in ("food_secure", "clothing_secure", "education_secure", "medical_secure", "water_secure"):
            data[k] = {"": None, "1": True, "0": False}[data[k]]
        return data


class TagsForm(forms.Form):
    tags = forms.MultipleChoiceField(label="标签", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, tag_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].choices = list(tag_choices)


class MoveApproveForm(forms.Form):
    """The county office agrees to a move request (R-SEC-04)."""

    target_number = forms.CharField(
        label="迁入户户编号", max_length=30, required=False,
        help_text="迁入地办理时填写；申请时已指定迁入户的可留空",
    )
    relation = forms.ChoiceField(label="在迁入户中与户主关系", required=False)
    note = forms.CharField(label="办理说明", max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relation"].choices = [("", "（沿用申请时填写）"), *((v, v) for v in vocab.values("relation"))]


class MoveDeclineForm(forms.Form):
    reason = forms.CharField(label="不予迁移原因", max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 2}))
