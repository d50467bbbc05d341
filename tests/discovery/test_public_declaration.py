"""The public self-declaration page reached by a village's QR code (R-DISC-02): no account, a lead of that
village for home verification (never a case), reference number and check code answered by the public
status page without personal data; abuse refused with a Chinese message and nothing stored."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signing import Signer
from django.test import Client
from django.urls import reverse

from fangpin.audit.models import Event
from fangpin.discovery import public
from fangpin.discovery.models import Channel, Lead, LeadAttachment, LeadReport, LeadState
from fangpin.registry.models import Household
from tests.factories import id_number

pytestmark = pytest.mark.django_db


def _counts():
    return (Lead.objects.count(), LeadReport.objects.count(), LeadAttachment.objects.count(),
            Event.objects.filter(action__startswith="lead.").count(), Household.objects.count())


def _url(village) -> str:
    return public.declare_path(village)


def _form(**over):
    data = {"person_name": "李秀兰", "id_number": id_number(), "person_phone": "13955610088", "address": "蔡桥村东头",
            "risk_types": ["因病"], "description": "老伴突发脑梗住院，自付医药费三万多元，家里没有收入了", "website": ""}
    data.update(over)
    return data


def _post(client, village, ip="10.1.0.1", **over):
    return client.post(_url(village), _form(**over), REMOTE_ADDR=ip)


@pytest.fixture
def anon():
    return Client(raise_request_exception=False)


@pytest.fixture
def limits(settings):
    settings.FANGPIN_DECLARE_PAGE_RATE = "5/m"
    settings.FANGPIN_DECLARE_SUBMIT_RATE = "3/h"
    settings.FANGPIN_DECLARE_ID_RATE = "2/d"
    return settings


def _text(response) -> str:
    return response.content.decode()


# --- the happy path ---------------------------------------------------------------------------------


def test_a_declaration_becomes_a_lead_of_the_village_with_a_receipt_the_status_page_answers_R_DISC_02(
        county, anon):
    village = county["va"]
    page = anon.get(_url(village), REMOTE_ADDR="10.1.0.1")
    assert page.status_code == 200 and "蔡桥村" in _text(page) and "12317" in _text(page)
    data = _form()
    r = anon.post(_url(village), data, REMOTE_ADDR="10.1.0.1")
    assert r.status_code == 200, _text(r)
    lead = Lead.objects.get()
    assert lead.channel == Channel.QR_SELF_DECLARATION and lead.reporter is None
    assert lead.division_code == village.code  # the village the QR code names
    assert lead.state == LeadState.AWAITING_VERIFICATION and lead.case is None  # a lead to verify, not a case
    assert lead.person_id_number == data["id_number"] and lead.person_name == "李秀兰"
    report = lead.reports.get()
    assert report.reference in _text(r) and report.check_code in _text(r)
    assert reverse("cases:public_status") in _text(r)

    status = anon.post(reverse("cases:public_status"), {"reference": report.reference,
                                                        "check_code": report.check_code})
    body = _text(status)
    assert status.status_code == 200 and "待入户核实" in body
    for personal in ("李秀兰", data["id_number"], "13955610088", "蔡桥村东头", "脑梗"):
        assert personal not in body


def test_a_declaration_of_a_registered_person_names_their_household_in_that_village_R_DISC_02(
        county, households, anon):
    holder = households["a1"].members.get(relation="户主")
    r = _post(anon, county["va"], id_number=holder.id_number, person_name=holder.name)
    assert r.status_code == 200
    assert Lead.objects.get().household == households["a1"]


# --- refused input: the field named, nothing stored -------------------------------------------------


@pytest.mark.parametrize(("field", "value", "words"), [
    ("id_number", "340621197506010010", "身份证号"),
    ("id_number", "12345", "身份证号"),
    ("person_phone", "12345", "联系电话"),
    ("person_name", "", "姓名"),
    ("id_number", "", "身份证号"),
    ("person_phone", "", "联系电话"),
    ("risk_types", [], "困难类型"),
    ("risk_types", ["外星人"], "风险类型"),
    ("description", "", "困难"),
    ("description", "长" * 2001, "情况描述"),
])
def test_bad_or_missing_input_is_refused_naming_the_field_and_nothing_is_stored_R_DISC_02(
        county, anon, field, value, words):
    before = _counts()
    r = _post(anon, county["va"], **{field: value})
    assert r.status_code == 200
    html = _text(r)
    errors = re.findall(r'<ul class="errorlist">(.*?)</ul>', html, re.S)
    assert errors and any(words in e for e in errors), html
    assert "未保存任何内容" in html
    assert _counts() == before


def test_the_honeypot_refuses_robots_and_stores_nothing_R_DISC_02(county, anon):
    before = _counts()
    r = _post(anon, county["va"], website="http://spam.example")
    assert r.status_code == 200 and "网址" in _text(r)
    assert _counts() == before


def test_an_oversized_or_unsupported_upload_is_refused_and_nothing_stored_R_DISC_02(county, anon):
    before = _counts()
    big = SimpleUploadedFile("病历.jpg", b"\xff\xd8" + b"0" * (public.PUBLIC_MAX_FILE_BYTES + 10), "image/jpeg")
    r = anon.post(_url(county["va"]), {**_form(), "attachments": [big]}, REMOTE_ADDR="10.1.0.2")
    assert r.status_code == 200 and "病历.jpg（超过2MB）" in _text(r)
    exe = SimpleUploadedFile("照片.exe", b"MZ", "application/octet-stream")
    r = anon.post(_url(county["va"]), {**_form(), "attachments": [exe]}, REMOTE_ADDR="10.1.0.3")
    assert "照片.exe（只能上传" in _text(r)
    many = [SimpleUploadedFile(f"{i}.jpg", b"\xff\xd8", "image/jpeg") for i in range(public.PUBLIC_MAX_FILES + 1)]
    r = anon.post(_url(county["va"]), {**_form(), "attachments": many}, REMOTE_ADDR="10.1.0.4")
    assert f"最多上传{public.PUBLIC_MAX_FILES}个文件" in _text(r)
    # A request announcing more than the whole limit is answered before its body is read.
    huge = SimpleUploadedFile("a.jpg", b"0" * (public.PUBLIC_MAX_REQUEST_BYTES + 1), "image/jpeg")
    r = anon.post(_url(county["va"]), {**_form(), "attachments": [huge]}, REMOTE_ADDR="10.1.0.5")
    assert r.status_code == 413 and "提交的内容过大" in _text(r)
    assert _counts() == before


def test_small_photos_are_kept_with_the_report_R_DISC_02(county, anon, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = SimpleUploadedFile("住院证明.jpg", b"\xff\xd8\xff" + b"1" * 1000, "image/jpeg")
    r = anon.post(_url(county["va"]), {**_form(), "attachments": [photo]}, REMOTE_ADDR="10.1.0.6")
    assert r.status_code == 200
    attachment = LeadAttachment.objects.get()
    assert attachment.name == "住院证明.jpg" and attachment.report == Lead.objects.get().reports.get()


# --- the village token ------------------------------------------------------------------------------


def test_unknown_or_forged_village_tokens_answer_404_and_store_nothing_R_DISC_02(county, anon):
    village = county["va"]
    token = public.village_token(village)
    code, signature = token.split(".")
    forged = [
        village.code,  # a bare division code
        str(village.pk),  # a bare id
        f"{county['vb'].code}.{signature}",  # another village's code with this signature
        f"{code}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",  # an altered signature
        Signer(salt="something-else", sep=".").sign(village.code),  # signed for another purpose
        public.village_token(county["t1"]),  # a township, not a village
        Signer(salt=public.TOKEN_SALT, sep=".").sign("340621100299"),  # a village that does not exist
    ]
    before = _counts()
    for bad in forged:
        url = reverse("discovery:declare", kwargs={"token": bad})
        assert anon.get(url).status_code == 404, bad
        assert anon.post(url, _form()).status_code == 404, bad
    assert _counts() == before
    assert anon.get(_url(village)).status_code == 200


# --- limits (django-ratelimit on the shared cache) --------------------------------------------------


def test_a_flood_from_one_client_gets_429_after_the_limit_R_DISC_02(county, anon, limits):
    answers = [_post(anon, county["va"], ip="10.2.0.1").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    assert Lead.objects.count() == 3
    r = _post(anon, county["va"], ip="10.2.0.1")
    assert "提交申报过于频繁" in _text(r) and "未保存任何内容" in _text(r)
    # Another client is not held back by the first one.
    assert _post(anon, county["va"], ip="10.2.0.2").status_code == 200


def test_rotating_id_numbers_from_one_client_are_still_limited_R_DISC_02(county, anon, limits):
    ids = [id_number() for _ in range(6)]
    answers = [_post(anon, county["vb"], ip="10.3.0.1", id_number=i).status_code for i in ids]
    assert answers[:3] == [200, 200, 200] and set(answers[3:]) == {429}
    assert Lead.objects.count() == 3
    # Refused submissions count too: invalid ID numbers do not open a way around the limit.
    assert _post(anon, county["vb"], ip="10.3.0.1", id_number="bad").status_code == 429


def test_one_id_number_from_rotating_clients_is_limited_R_DISC_02(county, anon, limits):
    number = id_number()
    answers = [_post(anon, county["va"], ip=f"10.4.0.{i}", id_number=number).status_code for i in range(1, 5)]
    assert answers == [200, 200, 429, 429]
    r = _post(anon, county["va"], ip="10.4.0.9", id_number=number)
    assert "该身份证号今日提交申报次数已达上限" in _text(r)
    # Two accepted submissions of one person: one lead, the second merged into it.
    assert Lead.objects.count() == 1 and LeadReport.objects.count() == 2


def test_the_page_itself_is_limited_per_client_and_answers_429_in_chinese_R_DISC_02(county, anon, limits):
    answers = [anon.get(_url(county["va"]), REMOTE_ADDR="10.5.0.1").status_code for _ in range(7)]
    assert answers == [200] * 5 + [429] * 2
    r = anon.get(_url(county["va"]), REMOTE_ADDR="10.5.0.1")
    assert "访问过于频繁" in _text(r) and "12317" in _text(r)
    assert anon.get(_url(county["va"]), REMOTE_ADDR="10.5.0.2").status_code == 200


def test_behind_the_proxy_the_client_is_the_last_forwarded_address_R_DISC_02(county, anon, limits):
    limits.BEHIND_PROXY = True
    url = _url(county["va"])
    # A client cannot escape its counter by sending its own X-Forwarded-For entries.
    answers = [anon.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 10.6.0.1").status_code
               for i in range(7)]
    assert answers == [200] * 5 + [429] * 2
    assert anon.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.6.0.2").status_code == 200


def test_a_cache_that_cannot_count_refuses_with_429_never_a_server_error_R_DISC_02(county, anon, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(public, "is_ratelimited", broken)
    before = _counts()
    assert anon.get(_url(county["va"])).status_code == 429
    r = _post(anon, county["va"])
    assert r.status_code == 429 and "系统繁忙" in _text(r)
    assert _counts() == before


def _receipt_free(text: str) -> str:
    """The page's visible text without its reference number and check code (they differ per receipt)."""
    import re

    visible = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    return re.sub(r"[A-Za-z0-9]{4,}", "#", visible)


# --- duplicates ---------------------------------------------------------------------------------------


def test_a_repeated_declaration_is_merged_into_the_open_lead_R_DISC_02(county, anon):
    number = id_number()
    first = _post(anon, county["va"], ip="10.7.0.1", id_number=number)
    second = _post(anon, county["va"], ip="10.7.0.2", id_number=number, risk_types=["因残"], description="又摔伤了腿")
    assert first.status_code == second.status_code == 200
    lead = Lead.objects.get()
    assert [r.merged for r in lead.reports.order_by("id")] == [False, True]
    assert lead.risk_types == ["因病", "因残"]
    # Each declaration has its own receipt; both are answered by the status page.
    for report in lead.reports.all():
        assert report.reference in (_text(first) + _text(second))


def test_a_declaration_after_a_closed_one_is_a_new_lead_and_reveals_nothing_R_DISC_02_R_SEC_04(county, anon):
    number = id_number()
    _post(anon, county["va"], ip="10.8.0.1", id_number=number)
    Lead.objects.update(state=LeadState.CLOSED, current_due_on=None)
    reference = LeadReport.objects.get().reference
    stranger = _post(anon, county["va"], ip="10.8.0.9", id_number=id_number())  # nobody declared before
    again = _post(anon, county["va"], ip="10.8.0.2", id_number=number)
    assert again.status_code == stranger.status_code == 200
    assert reference not in _text(again)
    # The same page as for a person nobody declared before, apart from the receipt's own numbers.
    assert _receipt_free(_text(again)) == _receipt_free(_text(stranger))
    assert Lead.objects.filter(state=LeadState.CLOSED).count() == 1 and Lead.objects.exclude(state=LeadState.CLOSED).count() == 2
