"""The one door for registry writes (R-REG-02 … R-REG-05, R-SEC-02).

Every function checks the actor's role and area, validates, writes, and records an audit event in
one transaction. Views, the API, imports and commands all call these.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from fangpin import validation
from fangpin.accounts.masking import show_id_number
from fangpin.accounts.scoping import require_area, require_write_in
from fangpin.areas.models import Division, Level
from fangpin.audit.context import current_source
from fangpin.audit.services import record
from fangpin.policy import income as income_rules
from fangpin.policy.idnumbers import mask_id_number
from fangpin.profiles.services import profile_for_county, today
from fangpin.validation import Errors

from . import moves, vocab
from .models import (
    Household,
    HousingGrade,
    IncomePeriod,
    IncomePurpose,
    IncomeRecord,
    Member,
    MemberMove,
    MonitoringStatus,
    Tag,
)

HOUSEHOLD_FIELDS = ["number", "phone", "address", "category"]
MEMBER_FIELDS = [
    "id_number", "name", "sex", "birth_date", "relation", "ethnicity", "political", "education",
    "student_status", "health", "disability_grade", "labour", "employment", "months_worked",
    "medical_insurance", "serious_illness_insurance", "pension_insurance", "dibao", "tekun", "phone",
    "person_number",
]
VOCAB_FIELDS = {
    "relation": "relation",
    "ethnicity": "ethnicity",
    "political": "political",
    "education": "education",
    "student_status": "student_status",
    "health": "health",
    "disability_grade": "disability_grade",
    "labour": "labour",
    "employment": "employment",
}
BASIC_NEEDS_FIELDS = [
    "food_secure", "clothing_secure", "education_secure", "medical_secure", "housing_grade", "water_secure",
    "basic_needs_note",
]


def snapshot(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


# --- households ---------------------------------------------------------------------------------


def resolve_location(village_code: str, group_code: str = "", grid_code: str = "") -> tuple[Division, Division | None, Division | None]:
    """Village, group and grid from their codes, checked to nest properly."""
    try:
        village = Division.objects.get(code=village_code, level=Level.VILLAGE)
    except Division.DoesNotExist:
        raise ValidationError({"village": f"行政村区划代码 {village_code or '（空）'} 不存在"})
    group = grid = None
    if group_code:
        group = Division.objects.filter(code=group_code, level=Level.GROUP).first()
        if group is None or not group.code.startswith(village.code):
            raise ValidationError({"group": f"村民小组 {group_code} 不存在或不属于{village.name}"})
    if grid_code:
        grid = Division.objects.filter(code=grid_code, level=Level.GRID).first()
        if grid is None or not grid.code.startswith((group or village).code):
            raise ValidationError({"grid": f"网格 {grid_code} 不存在或不属于所选村民小组"})
        if group is None:
            group = grid.parent
    return village, group, grid


def _check_category(village: Division, category: str) -> str:
    profile = profile_for_county(village.code)
    names = profile.category_names()
    if category not in names:
        raise ValidationError({"category": f"户类别 {category or '（空）'} 不在本县政策画像的类别清单中"})
    return category


@transaction.atomic
def create_household(actor, *, village_code: str, number: str, category: str, group_code: str = "",
                     grid_code: str = "", phone: str = "", address: str = "") -> Household:
    village, group, grid = resolve_location(village_code, group_code, grid_code)
    location = grid or group or village
    require_write_in(actor, location.code)
    number = (number or "").strip()
    if not number:
        raise ValidationError({"number": "户编号不能为空"})
    if not re.fullmatch(r"[0-9A-Za-z\-]{1,30}", number):
        raise ValidationError({"number": "户编号只能包含数字、字母和短横线"})
    if Household.objects.filter(village=village, number=number).exists():
        raise ValidationError({"number": f"户编号 {number} 在{village.name}已存在"})
    category = _check_category(village, category)
    errors = Errors()
    phone = validation.phone(phone, "phone", "户联系电话", errors)
    address = validation.text(address, "address", "住址", errors, required=False, max_length=120)
    errors.raise_if_any()
    household = Household.objects.create(
        number=number,
        village=village,
        group=group,
        grid=grid,
        division_code=location.code,
        category=category,
        phone=phone,
        address=address,
    )
    record(actor, "household.create", household, after=snapshot(household, HOUSEHOLD_FIELDS) | {"division_code": location.code})
    return household


@transaction.atomic
def update_household(actor, household: Household, *, phone=None, address=None, group_code=None, grid_code=None) -> Household:
    household = Household.objects.select_for_update().get(pk=household.pk)
    require_write_in(actor, household.division_code)
    before = snapshot(household, ["phone", "address", "division_code"])
    errors = Errors()
    if phone is not None:
        household.phone = validation.phone(phone, "phone", "户联系电话", errors)
    if address is not None:
        household.address = validation.text(address, "address", "住址", errors, required=False, max_length=120)
    errors.raise_if_any()
    if group_code is not None or grid_code is not None:
        village, group, grid = resolve_location(household.village.code, group_code or "", grid_code or "")
        location = grid or group or village
        require_write_in(actor, location.code)
        household.group, household.grid, household.division_code = group, grid, location.code
    household.save()
    after = snapshot(household, ["phone", "address", "division_code"])
    if after != before:
        record(actor, "household.update", household, before=before, after=after)
    return household


@transaction.atomic
def change_category(actor, household: Household, category: str, reason: str) -> Household:
    """Category changes are kept as history with their reason (R-REG-03)."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    require_write_in(actor, household.division_code)
    # The reason is kept with the row history (its change-reason column holds 100 characters).
    errors = Errors()
    reason = validation.text(reason, "reason", "调整原因", errors, max_length=100, missing="调整户类别必须填写原因")
    errors.raise_if_any()
    category = _check_category(household.village, category)
    if category == household.category:
        raise ValidationError({"category": "新类别与当前类别相同"})
    before = {"category": household.category}
    household.category = category
    household._change_reason = reason
    household.save()
    record(actor, "household.category", household, before=before, after={"category": category, "reason": reason})
    return household


MONITORING_FIELDS = ["category", "monitoring_status", "included_on", "risk_types", "elimination_mode", "eliminated_on"]


@transaction.atomic
def include_in_monitoring(actor, household: Household, *, category: str, included_on, risk_types: list[str],
                          reason: str) -> Household:
    """The household becomes a monitored household of ``category`` (R-ID-07).

    Called by the procedure engine when a case is filed; the engine has checked the procedure, this
    checks the registry side and records the change.
    """
    household = Household.objects.select_for_update().get(pk=household.pk)
    require_write_in(actor, household.division_code)
    profile = profile_for_county(household.division_code)
    if category not in profile.monitored_categories():
        raise ValidationError({"category": f"户类别 {category or '（空）'} 不是本县的监测对象类别"})
    if household.monitoring_status == MonitoringStatus.MONITORED:
        raise ValidationError({"__all__": "该户已是监测对象（风险未消除），不能重复纳入"})
    before = snapshot(household, MONITORING_FIELDS)
    household.category = category
    household.monitoring_status = MonitoringStatus.MONITORED
    household.included_on = included_on
    household.risk_types = list(risk_types)
    household.elimination_mode = ""
    household.eliminated_on = None
    household._change_reason = reason
    household.save()
    record(actor, "household.include", household, before=before, after=snapshot(household, MONITORING_FIELDS) | {"reason": reason})
    return household


@transaction.atomic
def set_tags(actor, household: Household, codes: list[str]) -> Household:
    require_write_in(actor, household.division_code)
    tags = list(Tag.objects.filter(code__in=codes))
    unknown = set(codes) - {t.code for t in tags}
    if unknown:
        raise ValidationError({"tags": f"未知标签：{'、'.join(sorted(unknown))}"})
    before = sorted(household.tags.values_list("name", flat=True))
    household.tags.set(tags)
    after = sorted(t.name for t in tags)
    if before != after:
        record(actor, "tags.update", household, before={"tags": before}, after={"tags": after})
    return household


@transaction.atomic
def update_basic_needs(actor, household: Household, data: dict) -> Household:
    household = Household.objects.select_for_update().get(pk=household.pk)
    require_write_in(actor, household.division_code)
    grade = data.get("housing_grade", household.housing_grade) or ""
    if grade not in ("", *HousingGrade.values):
        raise ValidationError({"housing_grade": f"住房安全等级只能是A、B、C、D，收到 {grade}"})
    before = snapshot(household, BASIC_NEEDS_FIELDS)
    for field in BASIC_NEEDS_FIELDS:
        if field in data:
            setattr(household, field, data[field])
    household.basic_needs_checked_on = data.get("basic_needs_checked_on") or today()
    household.save()
    after = snapshot(household, BASIC_NEEDS_FIELDS)
    if after != before:
        record(actor, "basic_needs.update", household, before=before, after=after)
    return household


# --- members ------------------------------------------------------------------------------------


class RegisteredElsewhere(ValidationError):
    """The ID number belongs to a person registered outside the actor's area."""

    def __init__(self, errors: dict, id_number: str):
        super().__init__(errors)
        self.id_number = id_number


def clean_member_data(data: dict, household: Household, instance: Member | None = None, actor=None) -> dict:
    """Validate member fields; raise ValidationError naming each bad field in Chinese.

    A person registered in the actor's own area is named precisely; one registered elsewhere gets
    the neutral message (``RegisteredElsewhere``), which says nothing about the other household.
    """
    errors = Errors()
    elsewhere = ""
    out: dict = {}
    raw_id = data.get("id_number", instance.id_number if instance else "")
    info = validation.id_number(raw_id, "id_number", "身份证号", errors, today=today())
    if info is not None:
        out["id_number"] = info.number
        holder = Member.objects.filter(id_number=info.number).exclude(pk=instance.pk if instance else None)
        holder = holder.select_related("household__village").first()
        if holder is not None:
            h = holder.household
            if moves.holder_visible(actor, holder):
                errors["id_number"] = (
                    f"身份证号 {show_id_number(actor, info.number)} 已登记在{h.village.name}户编号 {h.number} 的家庭中"
                    f"（{'在户' if holder.active else '已离户'}），一人只能属于一户；如需迁入请使用“成员迁移”"
                )
            else:
                # Outside the user's area nothing about the other household is said (R-SEC-04).
                errors["id_number"] = moves.elsewhere_message(info.number)
                elsewhere = info.number
    out["name"] = validation.text(data.get("name", instance.name if instance else ""), "name", "姓名", errors,
                                  max_length=40, message="姓名过长")
    sex = data.get("sex") or (instance.sex if instance else "")
    if info is not None and info.sex:
        if sex and sex != info.sex:
            errors["sex"] = f"性别“{sex}”与身份证号不符（身份证号显示为{info.sex}）"
        sex = info.sex
    if sex not in ("男", "女"):
        errors.setdefault("sex", "性别只能是男或女")
    out["sex"] = sex
    birth = data.get("birth_date") or (instance.birth_date if instance else None)
    if info is not None and info.birth_date:
        if birth and str(birth) != info.birth_date.isoformat():
            errors["birth_date"] = f"出生日期 {birth} 与身份证号不符（身份证号显示为 {info.birth_date}）"
        birth = info.birth_date
    out["birth_date"] = birth
    for field, vocabulary in VOCAB_FIELDS.items():
        value = data.get(field, getattr(instance, field) if instance else "")
        value = (value or "").strip()
        if value:
            allowed = vocab.values(vocabulary)
            parts = [p.strip() for p in re.split(r"[,，、]", value)] if vocab.is_multi(vocabulary) else [value]
            bad = [p for p in parts if p not in allowed]
            if bad:
                errors[field] = f"{vocab.label(vocabulary)}“{'、'.join(bad)}”不在字典值中"
            value = ",".join(parts)
        out[field] = value
    if not out.get("relation"):
        errors.setdefault("relation", "与户主关系不能为空")
    if out.get("education") and out.get("student_status"):
        errors["education"] = "文化程度与在校生状况只能填写一项（在校生不填文化程度）"
    months = validation.integer(data.get("months_worked", instance.months_worked if instance else 0), "months_worked",
                                "务工时间（月）", errors, minimum=0, maximum=12, required=False, default=0,
                                message="务工时间（月）应为0到12之间的整数")
    if months is not None:
        out["months_worked"] = months
    for field in ("medical_insurance", "serious_illness_insurance", "pension_insurance", "dibao", "tekun"):
        answer = validation.boolean(data.get(field, getattr(instance, field) if instance else None), field,
                                    str(Member._meta.get_field(field).verbose_name), errors)
        out[field] = bool(answer) if field in ("dibao", "tekun") else answer
    out["phone"] = validation.phone(data.get("phone", instance.phone if instance else ""), "phone", "联系电话", errors)
    out["person_number"] = validation.text(data.get("person_number", instance.person_number if instance else ""),
                                           "person_number", "人编号", errors, required=False, max_length=30)
    # Household structure: one head, at most one spouse (national export rules).
    rel = out.get("relation")
    if rel in ("户主", "配偶"):
        others = household.members.filter(active=True, relation=rel)
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        if others.exists():
            errors["relation"] = f"该户已有{rel}（{others.first().name}），一户只能有一名{rel}"
    if errors:
        if elsewhere:
            raise RegisteredElsewhere(errors, elsewhere)
        raise ValidationError(errors)
    out["relation_order"] = vocab.RELATION_ORDER.get(out["relation"], 99)
    return out


def add_member(actor, household: Household, data: dict) -> Member:
    """Register a member. A person registered outside the actor's area is refused with the neutral
    message and a move request goes to the county offices concerned (R-SEC-04)."""
    try:
        return _add_member(actor, household, data)
    except RegisteredElsewhere as exc:
        if exc.error_dict.keys() - {"id_number"}:
            raise  # other fields are wrong too: the user fixes those first, no request yet
        move = moves.request_move(
            actor, id_number=exc.id_number, name=(data.get("name") or "").strip(), target_household=household,
            division_code=household.division_code, details=data, source=current_source()[0],
            source_ref=current_source()[1],
        )
        raise ValidationError({"id_number": moves.elsewhere_message(exc.id_number, move)})


@transaction.atomic
def _add_member(actor, household: Household, data: dict) -> Member:
    household = Household.objects.select_for_update().get(pk=household.pk)
    require_write_in(actor, household.division_code)
    clean = clean_member_data(data, household, actor=actor)
    try:
        with transaction.atomic():
            member = Member.objects.create(household=household, **clean)
    except IntegrityError:
        raise ValidationError({"id_number": f"身份证号 {mask_id_number(clean['id_number'])} 已被登记，一人只能属于一户"})
    record(actor, "member.create", member, household=household, after=snapshot(member, MEMBER_FIELDS))
    return member


@transaction.atomic
def update_member(actor, member: Member, data: dict) -> Member:
    member = Member.objects.select_for_update().select_related("household").get(pk=member.pk)
    require_write_in(actor, member.household.division_code)
    before = snapshot(member, MEMBER_FIELDS)
    clean = clean_member_data(data, member.household, instance=member, actor=actor)
    for field, value in clean.items():
        setattr(member, field, value)
    member.save()
    after = snapshot(member, MEMBER_FIELDS)
    if after != before:
        record(actor, "member.update", member, household=member.household, before=before, after=after)
    return member


@transaction.atomic
def move_member(actor, member: Member, to_household: Household, relation: str, reason: str) -> Member:
    """Move a person to another household; both households record the move (R-REG-02)."""
    member = Member.objects.select_for_update().select_related("household").get(pk=member.pk)
    source = member.household
    require_write_in(actor, source.division_code)
    require_write_in(actor, to_household.division_code)
    errors = Errors()
    reason = validation.text(reason, "reason", "迁移原因", errors, max_length=100, missing="成员迁移必须填写原因")
    errors.raise_if_any()
    if to_household.pk == source.pk:
        raise ValidationError({"to_household": "迁入户与原户相同"})
    if relation not in vocab.values("relation"):
        raise ValidationError({"relation": f"与户主关系“{relation}”不在字典值中"})
    if relation in ("户主", "配偶") and to_household.members.filter(active=True, relation=relation).exists():
        raise ValidationError({"relation": f"迁入户已有{relation}"})
    before = {"household": source.number, "relation": member.relation}
    member.household = to_household
    member.relation = relation
    member.relation_order = vocab.RELATION_ORDER.get(relation, 99)
    member.active = True
    member.save()
    MemberMove.objects.create(member=member, from_household=source, to_household=to_household, reason=reason, actor=actor)
    after = {"household": to_household.number, "relation": relation, "reason": reason}
    record(actor, "member.move", member, household=source, before=before, after=after)
    record(actor, "member.move", member, household=to_household, before=before, after=after)
    return member


@transaction.atomic
def remove_member(actor, member: Member, reason: str) -> Member:
    """A member leaves the registry (death, moved out of county, married out …); kept as history."""
    member = Member.objects.select_for_update().select_related("household").get(pk=member.pk)
    require_write_in(actor, member.household.division_code)
    errors = Errors()
    reason = validation.text(reason, "reason", "移出原因", errors, max_length=60, missing="成员移出必须填写原因")
    errors.raise_if_any()
    if not member.active:
        raise ValidationError({"member": "该成员已不在户"})
    member.active = False
    member.left_reason = reason
    member.save()
    MemberMove.objects.create(member=member, from_household=member.household, to_household=None, reason=reason, actor=actor)
    record(actor, "member.remove", member, household=member.household, before={"active": True}, after={"active": False, "reason": reason})
    return member


# --- incomes ------------------------------------------------------------------------------------


def clean_income_data(data: dict) -> dict:
    """The income parts in yuan to the cent (0 ≤ amount < 100亿, the money columns' range)."""
    errors = Errors()
    out = {field: validation.money(data.get(field), field, income_rules.LABELS[field], errors)
           for field in income_rules.INCOME_FIELDS}
    errors.raise_if_any()
    return out


@transaction.atomic
def save_income(actor, household: Household, *, year: int, period: str = IncomePeriod.ANNUAL, month=None,
                purpose: str = IncomePurpose.REGULAR, data: dict, household_size: int | None = None,
                capability: str | None = "write_registry") -> IncomeRecord:
    """Create or replace the income record for one period; computes net and per-capita income.

    ``capability=None``: the calling service has already checked who may store it (the assistance
    contact's monthly visit, R-TRACK-02); only the area is checked here."""
    if capability is None:
        require_area(actor, household.division_code, "该农户不在您的管辖范围内")
    else:
        require_write_in(actor, household.division_code, capability)
    errors = Errors()
    year = validation.integer(year, "year", "年度", errors, minimum=2000, maximum=today().year + 1, message="年度无效")
    period = validation.choice(period, "period", "期间", errors, choices=dict(IncomePeriod.choices), message="期间无效")
    if period == IncomePeriod.MONTH:
        month = validation.integer(month, "month", "月份", errors, minimum=1, maximum=12,
                                   message="月度收入必须填写1到12的月份")
    else:
        month = None
    purpose = validation.choice(purpose, "purpose", "用途", errors, choices=dict(IncomePurpose.choices),
                                message="用途无效")
    if household_size in (None, ""):
        household_size = household.members.filter(active=True).count()
    size = validation.integer(household_size, "household_size", "家庭人口数", errors, minimum=1, maximum=32767,
                              message="家庭人口数必须大于0（请先登记家庭成员）")
    try:
        parts = clean_income_data(data)
    except ValidationError as exc:
        errors.absorb(exc)
    errors.raise_if_any()
    summary = income_rules.summarize(parts, size)
    record_obj = IncomeRecord.objects.filter(household=household, year=year, period=period, month=month, purpose=purpose).first()
    before = snapshot(record_obj, [*income_rules.INCOME_FIELDS, "household_size", "per_capita_net_income"]) if record_obj else None
    if record_obj is None:
        record_obj = IncomeRecord(household=household, year=year, period=period, month=month, purpose=purpose)
    for field, value in parts.items():
        setattr(record_obj, field, value)
    record_obj.household_size = size
    record_obj.net_income = summary.net
    record_obj.per_capita_net_income = summary.per_capita
    record_obj.entered_by = actor if actor is not None and actor.is_authenticated else None
    record_obj.save()
    after = snapshot(record_obj, [*income_rules.INCOME_FIELDS, "household_size", "per_capita_net_income"])
    record(actor, "income.save", record_obj, household=household, before=before, after=after | {"year": year, "period": period})
    return record_obj
