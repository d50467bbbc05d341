"""Grid forms: they render and carry what the user typed; the services validate (Chinese, by field)."""

from __future__ import annotations

from django import forms

from fangpin.areas.models import Division, GridWorker, Level

from .structure import GridStructure


class SplitForm(forms.Form):
    grids = forms.IntegerField(label="拆分为几个网格", min_value=1, max_value=99,
                               widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


class WorkerForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=20)
    phone = forms.CharField(label="联系电话", max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    position = forms.ChoiceField(label="岗位")
    grid = forms.ChoiceField(label="所在网格（村组网格员）", required=False)
    is_group_leader = forms.BooleanField(label="村民组长", required=False)
    is_party_member = forms.BooleanField(label="党员", required=False)
    other_duty = forms.CharField(label="其他（职务）", max_length=40, required=False,
                                 help_text="不是村民组长时填写具体职务或身份，如 党员代表、村民代表、乡贤")
    title = forms.CharField(label="职务（村级网格员、网格长）", max_length=40, required=False)
    paired_grids = forms.MultipleChoiceField(label="包保网格（村级网格员）", required=False,
                                             widget=forms.CheckboxSelectMultiple)
    username = forms.CharField(label="登录账号（可不填）", max_length=150, required=False,
                               help_text="已为其开通的网格员账号的用户名；账号须绑定到其所在网格")
    note = forms.CharField(label="备注", max_length=100, required=False)

    def __init__(self, *args, unit: Division, rules: GridStructure, **kwargs):
        super().__init__(*args, **kwargs)
        level = "township" if unit.level == Level.TOWNSHIP else None
        positions = [p for p in rules.positions if (p.level == "township") == (level == "township")]
        self.fields["position"].choices = [(p.code, p.name) for p in positions]
        grids = [] if level else list(
            Division.objects.within(unit.code).filter(level=Level.GRID, active=True).order_by("code").values_list("code", "name"))
        self.fields["grid"].choices = [("", "（暂不分配）"), *grids]
        self.fields["paired_grids"].choices = grids
        if level:
            for name in ("grid", "paired_grids", "is_group_leader"):
                del self.fields[name]

    @staticmethod
    def initial_for(worker: GridWorker) -> dict:
        return {
            "name": worker.name, "phone": worker.phone, "position": worker.position,
            "grid": worker.grid.code if worker.grid_id else "", "is_group_leader": worker.is_group_leader,
            "is_party_member": worker.is_party_member, "other_duty": worker.other_duty, "title": worker.title,
            "paired_grids": list(worker.pairings.values_list("grid__code", flat=True)),
            "username": worker.user.username if worker.user_id else "", "note": worker.note,
        }

    def service_data(self) -> dict:
        """What the user typed, as the service takes it (the service checks it)."""
        data = {k: self.data.get(k, "") for k in ("name", "phone", "position", "other_duty", "title", "username", "note")}
        data["is_group_leader"] = bool(self.data.get("is_group_leader"))
        data["is_party_member"] = bool(self.data.get("is_party_member"))
        if "grid" in self.fields:
            data["grid"] = self.data.get("grid", "")
            data["paired_grids"] = self.data.getlist("paired_grids") if hasattr(self.data, "getlist") else []
        return data


class RemoveForm(forms.Form):
    reason = forms.CharField(label="离岗原因", max_length=100)
