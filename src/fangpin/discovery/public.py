"""The public self-declaration (扫码自主申报, R-DISC-02): what the phone page and its API endpoint share.

A village's printed QR code carries a *signed* village token (:func:`village_token`): the village code
and an HMAC of it under the site's secret key. A token nobody signed, or one of a village that no
longer exists, answers 404 (:func:`village_for_token`); village codes are not enough to reach a form.

A submission (:func:`declare`) is refused — with a Chinese message naming the field, nothing stored —
when the client address or the ID number has sent too many (django-ratelimit counters on the cache
shared by every process, :func:`check_limit`), when the hidden honeypot field is filled in, or when the
attachments break the public limits. Otherwise it goes through ``services.raise_lead`` (actor None, the
QR channel): a lead of that village waiting for home verification — never a case — merged into the
person's open lead when there is one. What the applicant is told never depends on anybody's earlier
declarations (R-SEC-04): a declaration about a person whose earlier lead was closed is a new lead, with
a receipt like any other, for the village to verify again.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django_ratelimit.core import is_ratelimited

from fangpin.areas.models import Division, Level
from fangpin.profiles.services import today as local_today
from fangpin.validation import Errors, fail, scrub

from . import services
from .models import Channel

log = logging.getLogger(__name__)

TOKEN_SALT = "fangpin.discovery.public-declaration"
HONEYPOT_FIELD = "website"

# Attachments sent from a phone without an account: a few photos or scans, nothing big.
PUBLIC_MAX_FILES = 3
PUBLIC_MAX_FILE_BYTES = 2 * 1024 * 1024
PUBLIC_EXTENSIONS = (".jpg", ".jpeg", ".png", ".pdf")
# The whole request, checked from its Content-Length before the body is read (forms and files included).
PUBLIC_MAX_REQUEST_BYTES = PUBLIC_MAX_FILES * PUBLIC_MAX_FILE_BYTES + 256 * 1024
TOO_LARGE = (f"提交的内容过大：最多上传{PUBLIC_MAX_FILES}个文件，每个不超过{PUBLIC_MAX_FILE_BYTES // (1024 * 1024)}MB；"
             "请减少或压缩照片后重新提交，本次未保存任何内容")

# Limit groups (django-ratelimit counters; the page and the API share them).
PAGE_GROUP = "declare-page"
SUBMIT_GROUP = "declare-submit"
ID_GROUP = "declare-id"
LIMITED = {
    PAGE_GROUP: "访问过于频繁，请稍后再打开本页",
    SUBMIT_GROUP: "本设备（网络）提交申报过于频繁，请稍后再试；情况紧急请拨打 12317 或 12345",
    ID_GROUP: "该身份证号今日提交申报次数已达上限，请勿重复提交；已提交的申报会有工作人员核实，情况紧急请拨打 12317 或 12345",
}
BUSY = "系统繁忙，暂时无法受理，请稍后再试；情况紧急请拨打 12317 或 12345"


class Limited(Exception):
    """Too many requests (429), with the Chinese sentence to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- the village's token ---------------------------------------------------------------------------


def _signer() -> signing.Signer:
    return signing.Signer(salt=TOKEN_SALT, sep=".")


def village_token(village: Division) -> str:
    """The token printed in a village's QR code: the village code and its signature."""
    return _signer().sign(village.code)


def village_for_token(token: str) -> Division:
    """The village a token names, or 404 (a forged, altered or truncated token, or a village gone)."""
    try:
        code = _signer().unsign(str(token or ""))
    except signing.BadSignature:
        raise Http404("页面不存在")
    village = Division.objects.filter(code=code, level=Level.VILLAGE).select_related("parent").first()
    if village is None:
        raise Http404("页面不存在")
    return village


def declare_path(village: Division) -> str:
    from django.urls import reverse

    return reverse("discovery:declare", kwargs={"token": village_token(village)})


def declare_url(request, village: Division) -> str:
    """The address the QR code opens: FANGPIN_PUBLIC_URL (the site's public address) when set, else the
    address this request came in on."""
    path = declare_path(village)
    base = getattr(settings, "FANGPIN_PUBLIC_URL", "")
    return f"{base.rstrip('/')}{path}" if base else request.build_absolute_uri(path)


# --- limits ----------------------------------------------------------------------------------------


def client_address(request) -> str:
    """The client's address as the login lockout counts it: behind the proxy the last X-Forwarded-For
    entry (the one the proxy appended), else REMOTE_ADDR; IPv6 counted per /64 network."""
    raw = ""
    if getattr(settings, "BEHIND_PROXY", False):
        raw = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
    raw = raw or request.META.get("REMOTE_ADDR", "") or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64]
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def _rate(group: str) -> str:
    return {PAGE_GROUP: settings.FANGPIN_DECLARE_PAGE_RATE, SUBMIT_GROUP: settings.FANGPIN_DECLARE_SUBMIT_RATE,
            ID_GROUP: settings.FANGPIN_DECLARE_ID_RATE}[group]


def check_limit(request, group: str, value: str | None = None) -> None:
    """Count one request of ``group`` for the client address (or for ``value``, e.g. an ID number) and
    raise :class:`Limited` past the configured rate. The counter's key is hashed by the library: no ID
    number is kept in the cache. A cache that cannot count refuses (429 with a busy message)."""
    key_value = value if value is not None else client_address(request)
    try:
        limited = is_ratelimited(request, group=group, key=lambda _group, _request: key_value, rate=_rate(group),
                                 increment=True)
    except Exception:  # the shared cache is unreachable: refuse politely, never a server error
        log.exception("public declaration: rate-limit cache unavailable")
        raise Limited(BUSY)
    if limited:
        raise Limited(LIMITED[group])


def _id_key(raw) -> str:
    return "".join(str(raw or "").split()).upper()[:30]


# --- the submission --------------------------------------------------------------------------------


def _check_files(files, errors: Errors) -> list:
    files = list(files or [])
    if len(files) > PUBLIC_MAX_FILES:
        errors["attachments"] = f"最多上传{PUBLIC_MAX_FILES}个文件，本次选择了{len(files)}个"
        return files
    bad = []
    for f in files:
        name = Path(f.name).name
        if Path(name).suffix.lower() not in PUBLIC_EXTENSIONS:
            bad.append(f"{name}（只能上传 {'、'.join(PUBLIC_EXTENSIONS)} 格式）")
        elif f.size > PUBLIC_MAX_FILE_BYTES:
            bad.append(f"{name}（超过{PUBLIC_MAX_FILE_BYTES // (1024 * 1024)}MB）")
    if bad:
        errors["attachments"] = "材料无法上传：" + "；".join(bad)
    return files


def declare(request, village: Division, data: dict, files=(), *, today: dt.date | None = None):
    """One public self-declaration for ``village`` (R-DISC-02); returns ``services.Result``.

    Raises :class:`Limited` (429) past a limit, ``ValidationError`` (field → Chinese message) for any
    refused input; nothing is stored in either case. The submission counter of the client address is
    counted first, then (once the form is read) the ID number's counter."""
    today = today or local_today()
    check_limit(request, SUBMIT_GROUP)
    data = scrub(dict(data))
    if str(data.get(HONEYPOT_FIELD) or "").strip():
        fail(HONEYPOT_FIELD, "提交未被受理：请不要填写页面隐藏的“网址”一栏（如使用了自动填表工具，请关闭后重新填写）")
    id_number = _id_key(data.get("id_number"))
    if id_number:
        check_limit(request, ID_GROUP, f"{ID_GROUP}:{id_number}")

    errors = Errors()
    name = str(data.get("person_name") or "").strip()
    if not name:
        errors["person_name"] = "请填写姓名"
    if not id_number:
        errors["id_number"] = "请填写身份证号"
    if not str(data.get("person_phone") or "").strip():
        errors["person_phone"] = "请填写联系电话，方便工作人员联系核实"
    risks = data.get("risk_types") or []
    if not risks:
        errors["risk_types"] = "请至少选择一项困难类型（风险类型）"
    if not str(data.get("description") or "").strip():
        errors["description"] = "请简要说明家里遇到的困难"
    files = _check_files(files, errors)
    errors.raise_if_any()

    try:
        return services.raise_lead(
            None, channel=Channel.QR_SELF_DECLARATION, division_code=village.code, id_number=id_number,
            person_name=name, person_phone=data.get("person_phone") or "", address=data.get("address") or "",
            risk_types=risks, description=data.get("description") or "", reporter_name=name, today=today,
            files=files)
    except ValidationError as exc:
        # The service's wording is for staff ("当事人姓名"); the applicant typed their own.
        raise _for_applicant(exc)


def _for_applicant(exc: ValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    words = {"当事人姓名": "姓名", "当事人": "申报人"}
    out = {}
    for field, messages in exc.message_dict.items():
        text = messages[0]
        for staff, public in words.items():
            text = text.replace(staff, public)
        out[field] = text
    return ValidationError(out)
