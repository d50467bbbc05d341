"""Pages of the county policy catalogue (R-AID-01, R-AID-02).

Staff pages (login): the catalogue's home (a department's lists, the county office's overview of the
year), one list with its policies and actions, the policy form, the 附件1 import (preview, then
confirm), the export and the booklet print view. Every write calls ``catalogue`` /
``catalogue_io``; every read of a list or policy goes through ``catalogue.get_list_for`` /
``get_policy_for`` (404 outside the user's county, and for a department officer outside their
department's lists).

Public pages (no login): the county's newest published catalogue by type with a search, its booklet
(A4 print view) and a QR code to the page. They show what the county office published: the text of the
policies (ID and phone numbers typed into free text removed), the department, the contact's name and
the department's office phone; never a mobile number (an individual's number, not the office's).
"""

from __future__ import annotations

import io

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangpin.accounts.roles import Role
from fangpin.areas.models import Division, Level
from fangpin.policy.pii import scrub_personal_data
from fangpin.profiles.services import today
from fangpin.registry import vocab
from fangpin.web import apply_errors, web_source

from . import catalogue, catalogue_io
from .models import Handler, ListKind, ListStatus, MeasureKind, PolicyList

PUBLIC_FIELDS = ("name", "content", "target_population", "conditions_text", "procedure")


class PolicyForm(forms.Form):
    type = forms.CharField(label="帮扶类型", max_length=20, required=False,
                           help_text="如 就业帮扶、产业帮扶、健康帮扶、教育帮扶、住房保障、饮水安全、综合保障、金融帮扶、公益岗位、社会帮扶")
    name = forms.CharField(label="帮扶政策", max_length=100, required=False)
    content = forms.CharField(label="帮扶政策具体内容", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    target_population = forms.CharField(label="适用人群", max_length=300, required=False)
    conditions_text = forms.CharField(label="适用人群条件", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    procedure = forms.CharField(label="申报程序（相关资料）", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    department = forms.CharField(label="部门", max_length=40, required=False)
    contact_name = forms.CharField(label="联系人", max_length=40, required=False)
    office_phone = forms.CharField(label="办公电话", max_length=30, required=False)
    mobile = forms.CharField(label="手机号码", max_length=20, required=False, help_text="不在公开页面和口袋书中显示")
    kind = forms.ChoiceField(label="帮扶性质", required=False,
                             choices=[("", "按帮扶类型自动判断"), *MeasureKind.choices])
    handler = forms.ChoiceField(label="落实方式", required=False,
                                choices=[("", "按申报程序自动判断"), *Handler.choices])
    derive = forms.BooleanField(label="按适用人群及条件自动识别结构化条件（勾选后忽略下面各项）", required=False)
    c_categories = forms.MultipleChoiceField(label="限户类别", required=False, widget=forms.CheckboxSelectMultiple)
    c_social = forms.MultipleChoiceField(label="限享受政策", required=False, widget=forms.CheckboxSelectMultiple,
                                         choices=[(v, v) for v in catalogue.SOCIAL_ASSISTANCE])
    c_risks = forms.MultipleChoiceField(label="限风险类型", required=False, widget=forms.CheckboxSelectMultiple)
    c_labour = forms.MultipleChoiceField(label="限劳动能力", required=False, widget=forms.CheckboxSelectMultiple)
    c_min_age = forms.CharField(label="最低年龄（周岁）", required=False, max_length=3)
    c_max_age = forms.CharField(label="最高年龄（周岁）", required=False, max_length=3)
    c_disability = forms.BooleanField(label="家中有残疾人", required=False)
    c_student = forms.BooleanField(label="家中有在校学生", required=False)
    c_income = forms.CharField(label="人均纯收入低于（元/年）", required=False, max_length=12)

    ERROR_FIELDS = {"conditions.categories": "c_categories", "conditions.risk_types": "c_risks",
                    "conditions.labour": "c_labour", "conditions.social_assistance": "c_social",
                    "conditions.min_age": "c_min_age", "conditions.max_age": "c_max_age",
                    "conditions.disability": "c_disability", "conditions.student": "c_student",
                    "conditions.max_per_capita_income": "c_income"}

    def __init__(self, *args, policy_list: PolicyList, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["c_categories"].choices = list(catalogue.category_names(policy_list.county_code).items())
        self.fields["c_risks"].choices = [(v, v) for v in vocab.values("risk_type")]
        self.fields["c_labour"].choices = [(v, v) for v in catalogue.labour_values()]
        if policy_list.kind == ListKind.DEPARTMENT:
            self.fields["department"].disabled = True
            self.fields["department"].initial = policy_list.department

    def service_data(self) -> dict:
        d = self.cleaned_data
        data = {k: d.get(k, "") for k in ("type", "name", "content", "target_population", "conditions_text",
                                          "procedure", "department", "contact_name", "office_phone", "mobile",
                                          "kind", "handler")}
        if d.get("derive"):
            data["conditions"] = None
        else:
            data["conditions"] = {"categories": d.get("c_categories"), "social_assistance": d.get("c_social"),
                                  "risk_types": d.get("c_risks"), "labour": d.get("c_labour"),
                                  "min_age": d.get("c_min_age"), "max_age": d.get("c_max_age"),
                                  "disability": d.get("c_disability") or None, "student": d.get("c_student") or None,
                                  "max_per_capita_income": d.get("c_income")}
            data["derive_conditions"] = False
        return data

    def apply_service_errors(self, exc: ValidationError):
        if hasattr(exc, "error_dict"):
            mapped = {self.ERROR_FIELDS.get(k, k): v for k, v in exc.message_dict.items()}
            exc = ValidationError({k: v for k, v in mapped.items()})
        apply_errors(self, exc)


def _initial(policy) -> dict:
    c = policy.conditions or {}
    out = {f: getattr(policy, f) for f in ("type", "name", "content", "target_population", "conditions_text",
                                           "procedure", "department", "contact_name", "office_phone", "mobile",
                                           "kind", "handler")}
    out.update({"c_categories": c.get("categories", []), "c_social": c.get("social_assistance", []),
                "c_risks": c.get("risk_types", []), "c_labour": c.get("labour", []),
                "c_min_age": c.get("min_age", ""), "c_max_age": c.get("max_age", ""),
                "c_disability": bool(c.get("disability")), "c_student": bool(c.get("student")),
                "c_income": c.get("max_per_capita_income", "")})
    return out


def _year(request) -> int:
    raw = request.GET.get("year") or request.POST.get("year")
    try:
        year = int(raw)
    except (TypeError, ValueError):
        return today().year
    return year if catalogue.MIN_YEAR <= year <= catalogue.max_year() else today().year


def _county_code(user) -> str | None:
    code = user.scope_code or ""
    return code[:6] if len(code) >= 6 else None


# --- staff pages --------------------------------------------------------------------------------------


@login_required
@require_GET
def home(request):
    user = request.user
    year = _year(request)
    code = _county_code(user)
    context = {"year": year, "years": list(range(catalogue.max_year(), catalogue.MIN_YEAR - 1, -1)),
               "is_department": user.role == Role.DEPARTMENT_OFFICER, "is_county": user.role == Role.COUNTY_OFFICE,
               "county_code": code, "pending": catalogue.pending_for(user)}
    visible = catalogue.lists_visible_to(user)
    context["catalogues"] = list(visible.filter(kind=ListKind.CATALOGUE, year=year).order_by("-version"))
    context["department_lists"] = list(visible.filter(kind=ListKind.DEPARTMENT, year=year)
                                       .order_by("department"))
    if code and len(user.scope_code or "") == 6:
        try:
            context["dates"] = catalogue.catalogue_dates(code, year)
        except ValidationError:
            context["dates"] = None
        if context["is_county"]:
            submitted = {pl.department for pl in context["department_lists"] if pl.status == ListStatus.SUBMITTED}
            context["missing_departments"] = [d for d in catalogue.county_departments(code) if d not in submitted]
    if code:
        context["public_url"] = reverse("assistance:catalogue_public", args=[code])
    return render(request, "assistance/catalogue/home.html", context)


def _done(request, result, target):
    messages.success(request, result.message)
    return redirect(target)


def _refused(request, exc, target):
    if isinstance(exc, ValidationError):
        for message in catalogue_io.as_issue_list(exc):
            messages.error(request, message)
    else:
        messages.error(request, str(exc))
    return redirect(target)


@login_required
@require_POST
def open_list(request):
    try:
        with web_source(request):
            result = catalogue.open_department_list(request.user, request.POST.get("year"))
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc, reverse("assistance:catalogue_home"))
    return redirect("assistance:catalogue_list", result.obj.pk)


@login_required
@require_POST
def compile_view(request):
    try:
        with web_source(request):
            result = catalogue.compile_catalogue(request.user, request.POST.get("year"))
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc, reverse("assistance:catalogue_home"))
    return _done(request, result, reverse("assistance:catalogue_list", args=[result.obj.pk]))


def _can_edit(user, pl: PolicyList) -> bool:
    if pl.status != ListStatus.DRAFT:
        return False
    if pl.kind == ListKind.DEPARTMENT:
        return user.role == Role.DEPARTMENT_OFFICER and user.department == pl.department
    return user.role == Role.COUNTY_OFFICE


def _refuse_edit(user, pl: PolicyList, what: str) -> None:
    """PermissionDenied with the reason (role, department, state) unless ``user`` may change ``pl``."""
    if _can_edit(user, pl):
        return
    if pl.status == ListStatus.DRAFT:
        catalogue.require_editor(user, pl)  # raises, naming the role or the department
    raise PermissionDenied(f"{pl}{pl.get_status_display()}，不能{what}")


@login_required
@require_GET
def list_detail(request, pk):
    pl = catalogue.get_list_for(request.user, pk)
    user = request.user
    cats = catalogue.category_names(pl.county_code)
    q = request.GET.get("q", "")
    groups = catalogue.policies_by_type(pl, q)
    for _type, items in groups:
        for p in items:
            p.summary = catalogue.conditions_summary(p.conditions, cats)
    own_department = user.role == Role.DEPARTMENT_OFFICER and user.department == pl.department
    context = {
        "pl": pl, "groups": groups, "q": q, "count": pl.policies.count(), "can_edit": _can_edit(user, pl),
        "can_submit": pl.kind == ListKind.DEPARTMENT and own_department and pl.status == ListStatus.DRAFT,
        "can_reopen": pl.kind == ListKind.DEPARTMENT and own_department and pl.status == ListStatus.SUBMITTED,
        "can_publish": pl.kind == ListKind.CATALOGUE and user.role == Role.COUNTY_OFFICE and pl.status == ListStatus.DRAFT,
        "public_url": reverse("assistance:catalogue_public", args=[pl.county_code]),
        "can_export": user.caps.export,
    }
    return render(request, "assistance/catalogue/list.html", context)


def _policy_form(request, pl, policy=None):
    if request.method == "POST":
        form = PolicyForm(request.POST, policy_list=pl)
        if form.is_valid():
            try:
                with web_source(request):
                    result = catalogue.save_policy(request.user, pl, form.service_data(), policy=policy)
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                return _done(request, result, reverse("assistance:catalogue_list", args=[pl.pk]))
    else:
        form = PolicyForm(policy_list=pl, initial=_initial(policy) if policy else {"derive": True})
    title = f"修改政策：{policy.name}" if policy else "新增帮扶政策"
    return render(request, "assistance/catalogue/policy_form.html", {"form": form, "pl": pl, "policy": policy,
                                                                     "title": title})


@login_required
@require_http_methods(["GET", "POST"])
def policy_new(request, pk):
    pl = catalogue.get_list_for(request.user, pk)
    _refuse_edit(request.user, pl, "在其中新增政策")
    return _policy_form(request, pl)


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, pk):
    policy = catalogue.get_policy_for(request.user, pk)
    pl = policy.policy_list
    _refuse_edit(request.user, pl, "修改其中的政策")
    return _policy_form(request, pl, policy)


@login_required
@require_POST
def policy_remove(request, pk):
    policy = catalogue.get_policy_for(request.user, pk)
    target = reverse("assistance:catalogue_list", args=[policy.policy_list_id])
    try:
        with web_source(request):
            result = catalogue.remove_policy(request.user, policy)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc, target)
    return _done(request, result, target)


def _list_action(request, pk, action):
    pl = catalogue.get_list_for(request.user, pk)
    target = reverse("assistance:catalogue_list", args=[pl.pk])
    try:
        with web_source(request):
            result = action(request.user, pl)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc, target)
    return _done(request, result, target)


@login_required
@require_POST
def submit(request, pk):
    return _list_action(request, pk, catalogue.submit_list)


@login_required
@require_POST
def reopen(request, pk):
    return _list_action(request, pk, catalogue.reopen_list)


@login_required
@require_POST
def publish(request, pk):
    return _list_action(request, pk, catalogue.publish_catalogue)


class ImportForm(forms.Form):
    file = forms.FileField(label="附件1格式的政策清单文件（.xlsx/.xls/.csv）", required=False)
    replace = forms.BooleanField(label="整表替换清单中现有的政策（不勾选则追加到清单末尾）", required=False)


@login_required
@require_http_methods(["GET", "POST"])
def import_file(request, pk):
    """Upload a file: the preview (dry run) with its row issues; nothing is written here."""
    pl = catalogue.get_list_for(request.user, pk)
    _refuse_edit(request.user, pl, "向其中导入政策")
    form = ImportForm(request.POST or None, request.FILES or None)
    preview = token = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            token = catalogue_io.stash(upload, request.user, pl)
            path, name = catalogue_io.unstash(token, request.user, pl)
            preview = catalogue_io.preview(pl, path, name, replace=bool(form.cleaned_data.get("replace")))
        except ValidationError as exc:
            if token:
                catalogue_io.discard(token)
                token = None
            form.add_error("file", catalogue_io.as_issue_list(exc)[0])
    rows = [{**r, "kind": MeasureKind(r["kind"]).label, "handler": Handler(r["handler"]).label}
            for r in (preview.rows if preview else [])]
    return render(request, "assistance/catalogue/import.html", {"pl": pl, "form": form, "preview": preview,
                                                                "preview_rows": rows, "token": token,
                                                                "headers": catalogue_io.HEADERS})


@login_required
@require_POST
def import_confirm(request, pk):
    pl = catalogue.get_list_for(request.user, pk)
    target = reverse("assistance:catalogue_list", args=[pl.pk])
    try:
        with web_source(request):
            result = catalogue_io.apply_stashed(request.user, pl, request.POST.get("token", ""),
                                                digest=request.POST.get("digest", ""),
                                                replace=request.POST.get("replace") == "1")
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc, reverse("assistance:catalogue_import", args=[pl.pk]))
    return _done(request, result, target)


@login_required
@require_GET
def export(request, pk):
    pl = catalogue.get_list_for(request.user, pk)
    response = HttpResponse(catalogue_io.export_for(request.user, pl),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(catalogue_io.export_name(pl))}"
    return response


def _booklet_context(pl: PolicyList, *, public: bool) -> dict:
    groups = catalogue.policies_by_type(pl)
    cats = catalogue.category_names(pl.county_code)
    for _type, items in groups:
        for p in items:
            p.summary = catalogue.conditions_summary(p.conditions, cats)
            if public:
                for f in PUBLIC_FIELDS:
                    setattr(p, f, scrub_personal_data(getattr(p, f)))
                p.mobile = ""
    return {"pl": pl, "groups": groups, "title": catalogue_io.title_for(pl), "public": public}


@login_required
@require_GET
def booklet(request, pk):
    pl = catalogue.get_list_for(request.user, pk)
    context = _booklet_context(pl, public=False)
    context["back"] = reverse("assistance:catalogue_list", args=[pl.pk])
    context["qr"] = _qr_svg(_public_url(request, pl.county_code)) if pl.kind == ListKind.CATALOGUE else ""
    return render(request, "assistance/catalogue/booklet.html", context)


# --- public pages -------------------------------------------------------------------------------------


def _public_county(code: str) -> Division:
    if not code.isdigit() or len(code) != 6:
        raise Http404("该县不存在")
    county = Division.objects.filter(code=code, level=Level.COUNTY).first()
    if county is None:
        raise Http404("该县不存在")
    return county


def _public_url(request, code: str) -> str:
    path = reverse("assistance:catalogue_public", args=[code])
    base = getattr(settings, "FANGPIN_PUBLIC_URL", "")
    return f"{base.rstrip('/')}{path}" if base else request.build_absolute_uri(path)


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(omitsize=True, border=2, dark="#000")


@require_GET
def public_catalogue(request, county):
    division = _public_county(county)
    pl = catalogue.latest_published(division.code)
    q = request.GET.get("q", "")[:40]
    groups = []
    if pl is not None:
        context = _booklet_context(pl, public=True)
        groups = context["groups"]
        if q:
            wanted = {p.pk for _t, items in catalogue.policies_by_type(pl, q) for p in items}
            groups = [(t, [p for p in items if p.pk in wanted]) for t, items in groups]
            groups = [(t, items) for t, items in groups if items]
    return render(request, "assistance/catalogue/public.html", {
        "county": division, "pl": pl, "groups": groups, "q": q, "types": [t for t, _ in groups],
        "title": catalogue_io.title_for(pl) if pl else f"{division.name}防返贫帮扶政策清单"})


@require_GET
def public_booklet(request, county):
    division = _public_county(county)
    pl = catalogue.latest_published(division.code)
    if pl is None:
        raise Http404("本县尚未发布政策清单")
    context = _booklet_context(pl, public=True)
    context["qr"] = _qr_svg(_public_url(request, division.code))
    context["back"] = reverse("assistance:catalogue_public", args=[division.code])
    return render(request, "assistance/catalogue/booklet.html", context)


@require_GET
def public_qr_svg(request, county):
    division = _public_county(county)
    out = io.BytesIO()
    segno.make(_public_url(request, division.code), error="m").save(out, kind="svg", scale=8, border=2)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


@require_GET
def public_qr_png(request, county):
    division = _public_county(county)
    out = io.BytesIO()
    segno.make(_public_url(request, division.code), error="m").save(out, kind="png", scale=10, border=2)
    response = HttpResponse(out.getvalue(), content_type="image/png")
    response["Content-Disposition"] = f"inline; filename=policy-catalogue-{division.code}.png"
    return response
