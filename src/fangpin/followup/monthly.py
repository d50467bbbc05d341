"""The monthly follow-up visit (R-TRACK-02): income by source, measures, 两不愁三保障 and water, member changes, new risks; offline-tolerant with an idempotency key.

:func:`record_monthly_visit` is the one door. Only the household's current assistance contact records it,
for a monitored household (or one with a contact schedule for the month), at most once per household and
month. Everything the visit finds is written in the same transaction: the month's income record (through
``registry.services.save_income``), the measures' status, the 两不愁三保障/water status with a ticket per
problem (``tickets.open_from_findings``), the member changes proposed (``members.propose``), a lead for a
new risk, the schedule kept in step (``schedule.note_visit``). A refusal leaves nothing behind.

A form carries an idempotency key made when it was rendered: a resubmit after a network drop finds the
visit already recorded (``created=False``) instead of making a second one.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from fangpin import validation
from fangpin.accounts.masking import mask_text
from fangpin.accounts.scoping import require_area, require_person
from fangpin.audit.services import record
from fangpin.policy import income as income_rules
from fangpin.policy.profiles import ProfileError
from fangpin.profiles.services import profile_for_county
from fangpin.profiles.services import today as local_today
from fangpin.registry import services as registry
from fangpin.registry.models import Household, HousingGrade, IncomePeriod, IncomePurpose, MonitoringStatus
from fangpin.validation import Errors, fail, scrub

from . import members, mustvisit, schedule, tickets
from .models import (
    REMOTE_MODES,
    ScheduleKind,
    TicketDifficulty,
    Visit,
    VisitMode,
    VisitPurpose,
    VisitSchedule,
)
from .services import Result, _raise_lead, can_raise_lead, clean_findings

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
EFFECTS = {"good": "成效好", "fair": "成效一般", "none": "暂无成效"}
BASIC_NEEDS = (("food", "不愁吃"), ("clothing", "不愁穿"), ("education", "义务教育有保障"), ("medical", "基本医疗有保障"),
               ("water", "饮水安全有保障"))
DIMENSION_LABELS = {"food": "吃饭", "clothing": "穿衣", "education": "义务教育", "medical": "基本医疗",
                    "housing": "住房安全", "water": "饮水安全"}
DEFAULT_MAX_MONTHLY_INCOME = 200000
WHY = "月访视必须由该户的帮扶联系人本人录入并留痕"

ACTION_LABELS = {"visit.monthly": "录入月访视"}


def _today(today):
    return today or local_today()


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month - dt.timedelta(days=1)).replace(day=1)


def max_monthly_income(code: str) -> Decimal:
    try:
        return Decimal(str(profile_for_county(code[:6]).param("followup.max_monthly_income")))
    except (ProfileError, LookupError, ValueError):
        return Decimal(DEFAULT_MAX_MONTHLY_INCOME)


def clean_key(raw) -> str | None:
    if validation.is_empty(raw):
        return None
    key = scrub(str(raw)).strip()
    if not KEY_RE.match(key):
        fail("idempotency_key", "提交标识应为8到64位字母、数字、“-”或“_”")
    return key


def current_contact_id(household) -> int | None:
    from fangpin.assistance.models import ContactAssignment

    return (ContactAssignment.objects.filter(household_id=household.pk, ended_on__isnull=True)
            .values_list("contact_id", flat=True).first())


def open_measures(household):
    from fangpin.assistance.models import Measure, MeasureStatus

    return Measure.objects.filter(household_id=household.pk).exclude(status=MeasureStatus.CANCELLED).order_by("pk")


# --- validation of the form's sections ----------------------------------------------------------------


def _clean_income(raw, errors: Errors, limit: Decimal) -> dict | None:
    raw = raw if isinstance(raw, dict) else {}
    if all(validation.is_empty(raw.get(f)) for f in income_rules.INCOME_FIELDS):
        errors["income"] = "请填写当月收入（没有的项目填0）"
        return None
    parts = {}
    for field in income_rules.INCOME_FIELDS:
        label = income_rules.LABELS[field]
        amount = validation.money(raw.get(field), f"income.{field}", label, errors,
                                  out_of_range=f"{label}不能为负数")
        if amount > limit:
            errors[f"income.{field}"] = f"{label} {amount} 元超过当月{limit:.0f}元，明显不合理，请核对"
        parts[field] = amount
    gross = sum((parts[f] for f in income_rules.INCOME_FIELDS
                 if f not in ("production_expense", "eligible_out_of_pocket")), Decimal(0))
    if gross > limit and not any(k.startswith("income.") for k in errors):
        errors["income"] = f"当月家庭收入合计 {gross} 元超过{limit:.0f}元，明显不合理，请核对各项收入"
    return parts


def _clean_measures(raw, household, errors: Errors) -> list[dict]:
    if validation.is_empty(raw) or raw == []:
        return []
    if not isinstance(raw, list | tuple):
        errors["measures"] = "措施落实情况应为列表"
        return []
    own = {m.pk: m for m in open_measures(household)}
    out, seen = [], set()
    for i, item in enumerate(raw):
        item = item if isinstance(item, dict) else {}
        prefix = f"measures[{i}]."
        try:
            pk = int(str(item.get("measure", "")).strip())
        except ValueError:
            pk = None
        if pk not in own:
            errors[prefix + "measure"] = "该措施不是本户的帮扶措施（或已取消）"
            continue
        if pk in seen:
            errors[prefix + "measure"] = "同一措施填写了两次"
            continue
        seen.add(pk)
        in_place = validation.boolean(item.get("in_place"), prefix + "in_place", "措施是否落实", errors)
        effect = item.get("effect") or ""
        if effect:
            effect = validation.choice(effect, prefix + "effect", "措施成效", errors, choices=EFFECTS)
        note = validation.text(item.get("note"), prefix + "note", "措施说明", errors, required=False, max_length=200)
        if in_place is None and not effect and not note:
            continue  # nothing said about this measure
        out.append({"measure": pk, "name": own[pk].content[:60], "in_place": in_place, "effect": effect, "note": note})
    return out


def _clean_basic_needs(raw, errors: Errors) -> tuple[dict, list[dict]]:
    raw = raw if isinstance(raw, dict) else {}
    out: dict = {}
    for code, label in BASIC_NEEDS:
        out[code] = validation.boolean(raw.get(code), f"basic_needs.{code}", label, errors, required=True)
    grade = scrub(str(raw.get("housing") or "")).strip().upper()
    if grade and grade not in HousingGrade.values:
        errors["basic_needs.housing"] = f"住房安全等级只能是{'/'.join(HousingGrade.values)}或不填"
    out["housing"] = grade
    out["note"] = validation.text(raw.get("note"), "basic_needs.note", "三保障情况说明", errors, required=False,
                                  max_length=200)
    difficulty = raw.get("difficulty") or TicketDifficulty.GENERAL
    difficulty = validation.choice(difficulty, "basic_needs.difficulty", "问题难易程度", errors,
                                   choices=dict(TicketDifficulty.choices))
    problems = []
    for code in ("food", "clothing", "education", "medical", "housing", "water"):
        insecure = grade in ("C", "D") if code == "housing" else out.get(code) is False
        if insecure:
            description = out["note"] or f"月访视发现{DIMENSION_LABELS[code]}存在问题"
            problems.append({"dimension": code, "description": description, "difficulty": difficulty})
    if problems and not out["note"] and "basic_needs.note" not in errors:
        errors["basic_needs.note"] = "发现三保障或饮水问题时请写明问题情况（将生成问题清零台账）"
    return out, problems


def _clean_changes(actor, household, raw, day, errors: Errors) -> list[dict]:
    if validation.is_empty(raw) or raw == []:
        return []
    if not isinstance(raw, list | tuple):
        errors["member_changes"] = "家庭成员变动应为列表"
        return []
    out, seen = [], set()
    for i, item in enumerate(raw):
        item = item if isinstance(item, dict) else {}
        if all(validation.is_empty(v) for v in item.values()):
            continue  # an empty row of the form
        prefix = f"member_changes[{i}]."
        try:
            clean = members.clean_proposal(actor, household, item, day, prefix=prefix)
        except ValidationError as exc:
            errors.absorb(exc)
        else:
            who = ("member", clean["member"].pk) if clean["member"] else ("id", clean["data"].get("id_number"))
            if who in seen:
                errors[prefix + ("member" if who[0] == "member" else "id_number")] = "同一人填写了两条变动"
            seen.add(who)
        out.append(item)
    return out


def clean_monthly(actor, household: Household, data: dict, day: dt.date) -> dict:
    """Validate the whole form; every problem at once, each naming its field in Chinese."""
    errors = Errors()
    earliest = previous_month(month_of(day))
    visited_on = validation.date(data.get("visited_on"), "visited_on", "走访日期", errors, not_after=day,
                                 not_before=earliest, before_label="上月1日 ")
    mode = validation.choice(data.get("mode"), "mode", "走访方式", errors, choices=dict(VisitMode.choices))
    remote_reason = validation.text(data.get("remote_reason"), "remote_reason", "未入户原因", errors,
                                    required=mode in REMOTE_MODES, max_length=200,
                                    missing="电话、微信等非入户方式须填写未入户原因（确因客观原因无法实地走访）")
    findings = clean_findings(data, errors)
    raise_lead = validation.boolean(data.get("raise_lead"), "raise_lead", "同时上报线索", errors) or False
    if raise_lead and not findings["risk_found"]:
        errors.setdefault("raise_lead", "上报线索前请勾选“发现风险”，并选择风险类型、写明走访情况")
    elif raise_lead and not can_raise_lead(actor):
        errors.setdefault("raise_lead", f"{actor.role_label}不能上报风险线索")
    income = _clean_income(data.get("income"), errors, max_monthly_income(household.division_code))
    measures = _clean_measures(data.get("measures"), household, errors)
    basic_needs, problems = _clean_basic_needs(data.get("basic_needs"), errors)
    changes = _clean_changes(actor, household, data.get("member_changes"), day, errors)
    if not household.members.filter(active=True).exists():
        errors.setdefault("income", "该户没有在户成员，无法计算人均收入，请先核实家庭成员")
    month = month_of(visited_on) if visited_on and "visited_on" not in errors else None
    sched = None
    if month:
        sched = VisitSchedule.objects.filter(household=household, month=month, kind=ScheduleKind.CONTACT).first()
        if household.monitoring_status != MonitoringStatus.MONITORED and sched is None:
            errors["__all__"] = (f"该户不是风险未消除的监测户，{month:%Y年%m月}也没有月访视计划，"
                                 "不需要录入月访视（可使用普通走访记录）")
        earlier = Visit.objects.filter(household=household, month=month, purpose=VisitPurpose.MONTHLY).first()
        if earlier is not None:
            errors["visited_on"] = _twice(month, earlier)
    errors.raise_if_any()
    return {"visited_on": visited_on, "month": month, "mode": mode, "remote_reason": remote_reason if mode in REMOTE_MODES else "",
            **findings, "raise_lead": raise_lead, "income": income, "measures": measures,
            "basic_needs": basic_needs, "problems": problems, "member_changes": changes, "schedule": sched}


def _twice(month: dt.date, earlier: Visit) -> str:
    return (f"该户{month:%Y年%m月}的月访视已于{earlier.visited_on:%Y-%m-%d}录入（{earlier.visitor_name}），"
            "每户每月只录入一次")


def _idempotent(actor, household, key: str) -> Visit | None:
    earlier = Visit.objects.filter(idempotency_key=key).first()
    if earlier is None:
        return None
    if earlier.household_id != household.pk or earlier.visitor_id != actor.pk:
        fail("idempotency_key", "提交标识已被另一条记录使用，请刷新表单后重新填写")
    return earlier


# --- the door ------------------------------------------------------------------------------------------


@transaction.atomic
def record_monthly_visit(actor, household: Household, data: dict, *, today: dt.date | None = None,
                         idempotency_key: str | None = None) -> Result:
    """Record one monthly visit to ``household`` by its assistance contact ``actor`` (R-TRACK-02)."""
    require_person(actor, WHY)
    data = scrub(dict(data or {}))
    key = clean_key(idempotency_key if idempotency_key is not None else data.get("idempotency_key"))
    household = Household.objects.select_for_update().get(pk=household.pk)
    require_area(actor, household.division_code, "该农户不在您的管辖范围内")
    if current_contact_id(household) != actor.pk:
        raise PermissionDenied("该户的帮扶联系人不是您，不能录入该户的月访视（只有该户当前的帮扶联系人可以录入）")
    if key:
        earlier = _idempotent(actor, household, key)
        if earlier is not None:
            return Result(earlier, f"该表单已于{earlier.visited_on:%Y-%m-%d}提交成功，未重复录入", created=False)
    day = _today(today)
    clean = clean_monthly(actor, household, data, day)
    month = clean["month"]
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                household=household, division_code=household.division_code, visited_on=clean["visited_on"],
                mode=clean["mode"], purpose=VisitPurpose.MONTHLY, visitor=actor, visitor_name=str(actor)[:40],
                recorded_by=actor, companion_name=clean["companion_name"], risk_found=clean["risk_found"],
                risk_types=clean["risk_types"], findings=clean["findings"], month=month, schedule=clean["schedule"],
                remote_reason=clean["remote_reason"], basic_needs=clean["basic_needs"],
                measures_status=clean["measures"], idempotency_key=key,
            )
    except IntegrityError:
        if key and (earlier := Visit.objects.filter(idempotency_key=key).first()) is not None:
            if earlier.household_id == household.pk and earlier.visitor_id == actor.pk:
                return Result(earlier, f"该表单已于{earlier.visited_on:%Y-%m-%d}提交成功，未重复录入", created=False)
        earlier = Visit.objects.filter(household=household, month=month, purpose=VisitPurpose.MONTHLY).first()
        fail("visited_on", _twice(month, earlier) if earlier else "该户本月的月访视已录入，每户每月只录入一次")
    income = registry.save_income(actor, household, year=month.year, period=IncomePeriod.MONTH, month=month.month,
                                  purpose=IncomePurpose.REGULAR, data=clean["income"], capability=None)
    visit.income_record, visit.income_total = income, income.net_income
    visit.save(update_fields=["income_record", "income_total"])
    lead_message = ""
    if clean["raise_lead"]:
        lead_message = _raise_lead(actor, household, visit, day)
    opened = []
    if clean["problems"]:
        opened = tickets.open_from_findings(actor, household, clean["problems"], source="visit", visit=visit,
                                            today=day) or []
    changes = [members.propose(actor, household, item, visit=visit, today=day) for item in clean["member_changes"]]
    schedule.note_visit(visit)
    if visit.risk_found:
        mustvisit.refresh_households([household.pk], as_of=day)
    else:
        mustvisit.note_visit(household.pk, visit.visited_on)
    record(actor, "visit.monthly", visit, household=household, after={
        "month": f"{month:%Y-%m}", "visited_on": visit.visited_on, "mode": visit.mode,
        "remote_reason": mask_text(None, visit.remote_reason), "income_total": visit.income_total,
        "per_capita": income.per_capita_net_income, "basic_needs": {**visit.basic_needs,
                                                                   "note": mask_text(None, visit.basic_needs.get("note", ""))},
        "measures": [{k: v for k, v in m.items() if k != "note"} for m in visit.measures_status],
        "risk_types": visit.risk_types, "findings": mask_text(None, visit.findings),
        "lead_reference": visit.lead_reference, "member_changes": [c.get_kind_display() for c in changes],
        "tickets": len(opened),
    })
    parts = [f"已记录户{household.number} {month:%Y年%m月}的月访视（{visit.get_mode_display()}，当月家庭纯收入{income.net_income}元）"]
    if clean["problems"]:
        parts.append(f"发现{len(clean['problems'])}项三保障/饮水问题，已登记问题清零台账")
    if changes:
        parts.append(f"提出{len(changes)}条家庭成员变动，待村级核实")
    if lead_message:
        parts.append(lead_message)
    return Result(visit, "；".join(parts))


def _panel(user, household) -> dict | None:
    """On the household page, the household's contact gets the month's visit one tap away."""
    if getattr(user, "pk", None) is None or current_contact_id(household) != user.pk:
        return None
    month = month_of(local_today())
    done = Visit.objects.filter(household_id=household.pk, purpose=VisitPurpose.MONTHLY, month=month).first()
    last = Visit.objects.filter(household_id=household.pk, purpose=VisitPurpose.MONTHLY).order_by("-month").first()
    return {"title": "月访视", "template": "followup/monthly/_visit_panel.html", "order": 30,
            "context": {"household_pk": household.pk, "month": month, "done": done, "last": last}}


def register() -> None:
    """Hook this module into the pages (pending actions, household panels and badges, audit labels)."""
    from fangpin.audit.services import ACTION_LABELS as LABELS
    from fangpin.registry.panels import HOUSEHOLD_PANELS

    LABELS.update(ACTION_LABELS)
    if _panel not in HOUSEHOLD_PANELS:
        HOUSEHOLD_PANELS.append(_panel)
