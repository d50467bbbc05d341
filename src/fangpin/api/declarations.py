"""The public self-declaration over HTTP (R-DISC-02): no login, the village named by its QR token,
the same limits (per client address and per ID number, on the shared cache), honeypot, duplicate
rules and service (``fangpin.discovery.public.declare``) as the phone page. Attachments are sent
through the page only; each field has a length limit (422 past it) and the whole body the site's
upload limit (413)."""

from __future__ import annotations

from ninja import Field, Router, Schema, Status

from fangpin.discovery import public

router = Router(tags=["扫码自主申报"])


class DeclarationIn(Schema):
    village_token: str = Field(max_length=200, description="村（社区）二维码中的申报令牌")
    person_name: str = Field("", max_length=40)
    id_number: str = Field("", max_length=22)
    person_phone: str = Field("", max_length=20)
    address: str = Field("", max_length=120)
    risk_types: list[str] = Field(default_factory=list, max_length=20)
    description: str = Field("", max_length=2000)
    website: str = Field("", max_length=200, description="请留空（防机器人填写）")


class DeclarationOut(Schema):
    reference: str
    check_code: str
    village: str
    merged: bool
    detail: str


class Refusal(Schema):
    detail: str


@router.post("/public/declarations", auth=None, response={201: DeclarationOut, 404: Refusal, 429: Refusal},
             summary="群众扫码自主申报返贫致贫风险（无需登录；作为本村线索待入户核实）")
def declare(request, payload: DeclarationIn):
    village = public.village_for_token(payload.village_token)
    data = payload.dict()
    try:
        result = public.declare(request, village, data)
    except public.Limited as exc:
        return Status(429, {"detail": exc.message})
    report = result.report
    return Status(201, {
        "reference": report.reference, "check_code": report.check_code, "village": village.name,
        "merged": result.merged,
        "detail": f"申报已受理，受理编号 {report.reference}，查询码 {report.check_code}；村里将安排工作人员入户核实"})
