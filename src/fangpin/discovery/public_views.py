"""The public self-declaration page (no account, reached by a village's QR code) and the printable QR
posters staff hang in their villages (R-DISC-02). The submission itself is ``public.declare``."""

from __future__ import annotations

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from fangpin.accounts.scoping import get_visible, scope_filter
from fangpin.areas.models import Division, Level
from fangpin.cases.forms import MultipleFileField, MultipleFileInput
from fangpin.registry import vocab
from fangpin.web import apply_errors

from . import public

HOTLINES = (("12317", "防返贫监测帮扶热线"), ("12345", "政务服务便民热线"))
POSTER_NOT_FOUND = "村（社区）不存在或不在您的管辖范围内"


class DeclarationForm(forms.Form):
    """What the applicant types; the service checks it (ID number checksum, phone, lengths)."""

    person_name = forms.CharField(label="姓名", required=False, max_length=40)
    id_number = forms.CharField(label="身份证号", required=False, max_length=22)
    person_phone = forms.CharField(label="联系电话", required=False, max_length=20)
    address = forms.CharField(label="家庭住址（可不填）", required=False, max_length=120)
    risk_types = forms.MultipleChoiceField(label="遇到的困难（可多选）", required=False,
                                           widget=forms.CheckboxSelectMultiple)
    description = forms.CharField(label="情况说明", required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(
        label=f"照片或证明（可不传，最多{public.PUBLIC_MAX_FILES}个，每个不超过"
              f"{public.PUBLIC_MAX_FILE_BYTES // (1024 * 1024)}MB）",
        widget=MultipleFileInput(attrs={"accept": ",".join(public.PUBLIC_EXTENSIONS)}))
    # The honeypot: hidden from people by the stylesheet, filled in by form-filling robots.
    website = forms.CharField(label="网址（请勿填写）", required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["risk_types"].choices = [(v, v) for v in vocab.values("risk_type")]
        self.fields["id_number"].widget.attrs.update({"autocomplete": "off", "inputmode": "text"})
        self.fields["person_phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})
        self.fields["person_name"].widget.attrs.update({"autocomplete": "name"})
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})


def _limited(request, village, message: str):
    return render(request, "discovery/public_limited.html", {"village": village, "message": message,
                                                             "hotlines": HOTLINES}, status=429)


def _village_label(village: Division) -> str:
    town = village.parent.name if village.parent_id else ""
    return f"{town}{village.name}"


@csrf_exempt  # checked below, once the request's size is known to be acceptable
@require_http_methods(["GET", "POST"])
def declare(request, token: str):
    """The phone page of one village: GET shows the form, POST submits it (R-DISC-02)."""
    village = public.village_for_token(token)
    context = {"village": village, "village_label": _village_label(village), "hotlines": HOTLINES}
    if request.method == "GET":
        try:
            public.check_limit(request, public.PAGE_GROUP)
        except public.Limited as exc:
            return _limited(request, village, exc.message)
        return render(request, "discovery/public_declare.html", {**context, "form": DeclarationForm()})
    # The body is not read (nor spooled to disk) before its announced size is checked.
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    if size > public.PUBLIC_MAX_REQUEST_BYTES:
        return render(request, "discovery/public_limited.html", {**context, "message": public.TOO_LARGE,
                                                                 "title": "提交内容过大"}, status=413)
    return _submit(request, context)


@csrf_protect
def _submit(request, context):
    village = context["village"]
    form = DeclarationForm(request.POST, request.FILES)
    if form.is_valid():
        data, files = form.cleaned_data, form.cleaned_data.get("attachments") or ()
    else:  # a field Django refused (an over-long value): still checked and answered by the service
        data, files = {k: request.POST.get(k, "") for k in form.fields}, ()
        data["risk_types"] = request.POST.getlist("risk_types")
    try:
        result = public.declare(request, village, data, files)
    except public.Limited as exc:
        return _limited(request, village, exc.message)
    except ValidationError as exc:
        form = DeclarationForm(request.POST)
        form.is_valid()
        form._errors = {}
        apply_errors(form, exc)
        return render(request, "discovery/public_declare.html", {**context, "form": form}, status=200)
    report = result.report
    return render(request, "discovery/public_done.html", {
        **context, "reference": report.reference, "check_code": report.check_code,
        "status_url": reverse("cases:public_status")})


# --- posters (staff, scoped) -----------------------------------------------------------------------


def _qr_svg(url: str) -> str:
    """The QR code as inline SVG sized by the stylesheet (no style attributes: CSP)."""
    return segno.make(url, error="m").svg_inline(omitsize=True, border=2, dark="#000")


def _poster(request, village: Division) -> dict:
    url = public.declare_url(request, village)
    return {"village": village, "village_label": _village_label(village), "url": url, "qr": _qr_svg(url)}


def _villages(user):
    return scope_filter(Division.objects.filter(level=Level.VILLAGE), user, "code").select_related("parent")


@login_required
@require_GET
def poster(request, pk):
    """A printable A4 poster of one village of the user's area (404 for any other village)."""
    village = get_visible(_villages(request.user), request.user, pk, field="code", not_found=POSTER_NOT_FOUND)
    return render(request, "discovery/public_poster.html", {"posters": [_poster(request, village)],
                                                            "title": f"{_village_label(village)}扫码申报二维码",
                                                            "hotlines": HOTLINES})


@login_required
@require_GET
def poster_township(request, pk):
    """The posters of every village of a township in the user's area, one A4 page each."""
    township = get_visible(scope_filter(Division.objects.filter(level=Level.TOWNSHIP), request.user, "code"),
                           request.user, pk, field="code", not_found="乡镇不存在或不在您的管辖范围内")
    villages = _villages(request.user).filter(parent=township).order_by("code")
    posters = [_poster(request, v) for v in villages]
    if not posters:
        raise Http404("该乡镇下没有您管辖的村（社区）")
    return render(request, "discovery/public_poster.html", {"posters": posters, "township": township,
                                                            "title": f"{township.name}各村扫码申报二维码",
                                                            "hotlines": HOTLINES})


@login_required
@require_GET
def poster_index(request):
    """Where staff find the posters: the townships and villages of their area."""
    villages = list(_villages(request.user).order_by("code")[:3000])
    towns: dict = {}
    for v in villages:
        towns.setdefault(v.parent, []).append(v)
    return render(request, "discovery/public_poster_index.html", {"towns": list(towns.items())})
