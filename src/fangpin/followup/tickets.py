"""Problem tickets for 两不愁三保障 and water problems with clearing deadlines by difficulty (R-TRACK-05).

Every basic-needs or water problem — found on a visit, in a sweep, by a lead's verification, in a national
import, or registered by hand — is a :class:`~fangpin.followup.models.Ticket`: its problem (dimension), its
difficulty class and the clearing deadline that follows from it (``clearing.<difficulty>_days`` calendar days
of the county profile: general 15, difficult 182, special 365 by default, 003 第五步), the responsible
village and person, and, when it is cleared, the closing evidence. One open ticket per household and
problem: a second finding is added to the open ticket (its deadline kept), never opened beside it.

This module is the one door for ticket writes. Every public function runs in one transaction (or in the
caller's, for :func:`open_from_findings`): role, area, lock, fields (Chinese messages naming the field,
all problems at once), write, audit. A refused call changes nothing. "Overdue" is read from
``fangpin.followup.overdue`` (the one definition), never computed here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, NullIf, Substr
from django.urls import reverse

from fangpin import validation
from fangpin.accounts.masking import mask_text
from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import get_visible, in_scope, require_area, require_role, scope_filter
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import Division
from fangpin.assistance.models import ContactAssignment
from fangpin.audit.services import record
from fangpin.profiles.services import profile_for_county
from fangpin.profiles.services import today as local_today
from fangpin.registry.models import Household
from fangpin.validation import Errors, fail, scrub

from .models import Ticket, TicketDifficulty, TicketDimension, TicketSource, TicketStatus, Visit
from .overdue import Escalation, overdue_querysets

# Who may do what (R-SEC-01): declared once, shown on the pages, tested from the declaration.
OPEN_ROLES = (Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICE, Role.GRID_WORKER, Role.ASSISTANCE_CONTACT)
# A village cannot call its own problem 疑难 to gain time: only the township or the county reclassifies.
RECLASSIFY_ROLES = (Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICE)
ASSIGN_ROLES = (Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE)
# Besides these, the ticket's responsible person closes it.
CLOSE_ROLES = (Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICE)
# Who may be made responsible for a ticket: the people who work with households.
RESPONSIBLE_ROLES = OPEN_ROLES
REGISTRY_IMPORT_ROLES = (Role.COUNTY_OFFICE, Role.ADMINISTRATOR)
WHY = "问题清零台账的每一步都必须由具体人员办理并留痕"

# Sources a person registers by hand (an import opens tickets through ``open_from_registry`` only).
MANUAL_SOURCES = {TicketSource.VISIT: "走访发现", TicketSource.SWEEP: "排查发现", TicketSource.LEAD: "线索核实",
                  TicketSource.MANUAL: "人工登记"}

DESCRIPTION_MAX = 500
EVIDENCE_MIN = 10
EVIDENCE_MAX = 1000
REASON_MAX = 200
BACKDATE_DAYS = 366  # a problem is registered within a year of its finding
EVIDENCE_EXTENSIONS = {".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx"}
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
PENDING_ITEMS = 20

# The registry's flag for each problem (housing: grade C/D is the problem, A/B is safe).
FLAG_OF = {
    TicketDimension.FOOD: "food_secure",
    TicketDimension.CLOTHING: "clothing_secure",
    TicketDimension.EDUCATION: "education_secure",
    TicketDimension.MEDICAL: "medical_secure",
    TicketDimension.WATER: "water_secure",
}
UNSAFE_GRADES = ("C", "D")
SAFE_GRADES = ("A", "B")

# What an import's data shows, per problem (the ticket's description).
IMPORT_TEXT = {
    TicketDimension.FOOD: "导入数据显示吃饭问题无保障（不愁吃）",
    TicketDimension.CLOTHING: "导入数据显示穿衣问题无保障（不愁穿）",
    TicketDimension.EDUCATION: "导入数据显示义务教育无保障",
    TicketDimension.MEDICAL: "导入数据显示基本医疗无保障",
    TicketDimension.HOUSING: "导入数据显示住房安全无保障（住房鉴定为C级或D级）",
    TicketDimension.WATER: "导入数据显示饮水安全无保障",
}

ACTION_NAMES = {
    "ticket.open": "登记问题（问题清零台账）",
    "ticket.append": "问题补充新发现",
    "ticket.open_registry": "按农户数据批量登记问题",
    "ticket.reclassify": "调整问题难易程度",
    "ticket.assign": "指定问题责任人",
    "ticket.close": "问题销号",
}

DIMENSIONS = dict(TicketDimension.choices)
DIFFICULTIES = dict(TicketDifficulty.choices)


@dataclass(frozen=True)
class Result:
    obj: object
    message: str


def _today(today):
    return today or local_today()


def _days_key(difficulty: str) -> str:
    return f"clearing.{difficulty}_days"


def clearing_days(county_code: str, difficulty: str) -> int:
    """Calendar days to clear a problem of ``difficulty`` in the county (profile ``[clearing]``)."""
    return int(profile_for_county(county_code[:6]).param(_days_key(difficulty)))


def due_date(county_code: str, difficulty: str, opened_on: dt.date) -> dt.date:
    return opened_on + dt.timedelta(days=clearing_days(county_code, difficulty))


def remaining_text(due_on: dt.date, today: dt.date, overdue: bool) -> str:
    """"还有N天" / "今天到期" / "已逾期N天" (``overdue`` as ``fangpin.followup.overdue`` says)."""
    days = (due_on - today).days
    if overdue:
        return f"已逾期{-days}天"
    return "今天到期" if days == 0 else f"还有{days}天"


# --- reads (the one door, R-SEC-01) ----------------------------------------------------------------


def tickets_visible_to(user):
    return scope_filter(Ticket.objects.all(), user)


def get_ticket_for(user, pk) -> Ticket:
    return get_visible(Ticket.objects.select_related("household", "responsible", "closed_by", "created_by", "visit"),
                       user, pk, not_found="问题不存在或不在您的管辖范围内")


def overdue_ids(ids, today: dt.date) -> set[int]:
    """Which of these tickets are overdue (one query, the one definition of overdue)."""
    ids = [int(i) for i in ids]
    if not ids:
        return set()
    return set(overdue_querysets(today)["ticket"].filter(id__in=ids).values_list("id", flat=True))


def overdue_tickets(qs, today: dt.date):
    """``qs`` narrowed to its overdue tickets."""
    return qs.filter(id__in=overdue_querysets(today)["ticket"].values("id"))


def decorate(tickets, today: dt.date, user=None) -> list[Ticket]:
    """Add ``overdue``, ``remaining``, ``level_label`` and the masked description to tickets of a page."""
    tickets = list(tickets)
    late = overdue_ids([t.pk for t in tickets], today)
    escalations: dict[str, Escalation] = {}
    for t in tickets:
        t.overdue = t.pk in late
        t.remaining = remaining_text(t.due_on, today, t.overdue) if t.status == TicketStatus.OPEN else ""
        t.level_label = ""
        if t.overdue:
            county = t.division_code[:6]
            esc = escalations.get(county) or escalations.setdefault(county, Escalation.for_county(county))
            t.level_label = {1: "已升级至乡镇", 2: "已升级至县级"}.get(esc.level(t.due_on, today), "")
        t.description_shown = mask_text(user, t.description) if user is not None else t.description
        t.evidence_shown = mask_text(user, t.evidence) if user is not None else t.evidence
    return tickets


def filtered_tickets(user, f: dict, day):
    """The scoped list with its filters, overdue (open, earliest deadline) first, then by deadline."""
    qs = tickets_visible_to(user)
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("dimension"):
        qs = qs.filter(dimension=f["dimension"])
    if f.get("difficulty"):
        qs = qs.filter(difficulty=f["difficulty"])
    if f.get("village"):
        qs = qs.filter(prefix_q("division_code", f["village"]))
    if f.get("overdue"):
        qs = overdue_tickets(qs, day)
    order = Case(When(status=TicketStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.annotate(open_first=order).order_by("open_first", "due_on", "id")


def may_close(user, ticket: Ticket) -> bool:
    return (ticket.status == TicketStatus.OPEN and user.is_authenticated
            and (user.role in CLOSE_ROLES or ticket.responsible_id == user.pk) and in_scope(user, ticket.division_code))


def may_reclassify(user, ticket: Ticket) -> bool:
    return ticket.status == TicketStatus.OPEN and user.role in RECLASSIFY_ROLES


def may_assign(user, ticket: Ticket) -> bool:
    return ticket.status == TicketStatus.OPEN and user.role in ASSIGN_ROLES


def may_open(user) -> bool:
    return user.is_authenticated and user.role in OPEN_ROLES


def responsible_candidates(actor, household):
    """People the actor may make responsible for a ticket of ``household``: active, working with
    households, bound to a division that contains the household and lies in the actor's area."""
    code = household.division_code
    scope = actor.scope_code or ""
    prefixes = [code[:n] for n in (6, 9, 12, 15, 17) if len(code) >= n and code[:n].startswith(scope)]
    return (get_user_model().objects.filter(is_active=True, role__in=RESPONSIBLE_ROLES, division__code__in=prefixes)
            .select_related("division").order_by("division__code", "role", "display_name", "username"))


def _current_contact(household_id):
    return (ContactAssignment.objects.filter(household_id=household_id, ended_on__isnull=True)
            .select_related("contact").first())


# --- validation --------------------------------------------------------------------------------------


def _clean_problem(raw, errors: Errors, label_prefix: str = "") -> dict:
    """One problem's fields; ``label_prefix`` ("第2项问题的") names the item in a list's messages."""
    if not isinstance(raw, dict):
        errors["problems"] = f"{label_prefix}内容应为一项问题（问题类别、问题描述）"
        return {}
    raw = scrub(dict(raw))
    dimension = validation.choice(raw.get("dimension"), "dimension", f"{label_prefix}问题类别", errors,
                                  choices=DIMENSIONS)
    description = validation.text(raw.get("description"), "description", f"{label_prefix}问题描述", errors,
                                  max_length=DESCRIPTION_MAX)
    difficulty = validation.choice(raw.get("difficulty") or TicketDifficulty.GENERAL, "difficulty",
                                   f"{label_prefix}难易程度", errors, choices=DIFFICULTIES)
    return {"dimension": dimension, "description": description, "difficulty": difficulty}


def _clean_source_ref(actor, household, source: str, raw_ref, errors: Errors):
    """(source_ref, visit) for a manual ticket: a visit of this household or a lead of the user's area."""
    ref = validation.text(raw_ref, "source_ref", "来源编号", errors, required=False, max_length=60)
    visit = None
    if source == TicketSource.VISIT:
        if not ref:
            errors["source_ref"] = "来源为走访发现时，请填写发现问题的走访记录编号"
        else:
            visit = scope_filter(Visit.objects.filter(household_id=household.pk), actor).filter(
                pk=int(ref) if ref.isdigit() else -1).first()
            if visit is None:
                errors["source_ref"] = f"走访记录编号“{validation.shown(ref)}”不是本户的走访记录"
    elif source == TicketSource.LEAD:
        from fangpin.discovery.models import Lead

        if not ref:
            errors["source_ref"] = "来源为线索核实时，请填写线索编号"
        else:
            lead = scope_filter(Lead.objects.filter(reference=ref), actor).first()
            if lead is None:
                errors["source_ref"] = f"线索编号“{validation.shown(ref)}”不存在或不在您的管辖范围内"
            elif lead.household_id and lead.household_id != household.pk:
                errors["source_ref"] = f"线索“{validation.shown(ref)}”反映的不是本户"
    return ref, visit


def _open_one(actor, household: Household, problem: dict, *, source: str, source_ref: str, visit, opened_on,
              contact) -> Ticket:
    ticket = Ticket.objects.create(
        household=household, division_code=household.division_code, dimension=problem["dimension"],
        description=problem["description"][:DESCRIPTION_MAX], source=source, source_ref=source_ref[:60], visit=visit,
        difficulty=problem["difficulty"], opened_on=opened_on,
        due_on=due_date(household.division_code, problem["difficulty"], opened_on),
        responsible_code=household.division_code[:12], responsible=contact.contact if contact else None,
        responsible_name=str(contact.contact)[:40] if contact else "", created_by=actor,
    )
    record(actor, "ticket.open", ticket, household=household, after=_snapshot(ticket))
    return ticket


def _snapshot(ticket: Ticket) -> dict:
    return {"dimension": ticket.dimension, "description": ticket.description, "source": ticket.source,
            "source_ref": ticket.source_ref, "difficulty": ticket.difficulty, "opened_on": ticket.opened_on,
            "due_on": ticket.due_on, "responsible_name": ticket.responsible_name, "status": ticket.status}


def _name_open(ticket: Ticket) -> str:
    return (f"问题#{ticket.pk}（{ticket.get_dimension_display()}，{ticket.opened_on:%Y-%m-%d}发现，"
            f"{ticket.due_on:%Y-%m-%d}前销号）")


# --- writes ------------------------------------------------------------------------------------------


@transaction.atomic
def open_ticket(actor, household: Household, data: dict, *, today: dt.date | None = None) -> Result:
    """Register one problem of ``household`` by hand (village cadre, township, county, grid worker or
    assistance contact of the area). Its deadline follows from its difficulty and the county profile."""
    require_role(actor, OPEN_ROLES, "登记问题", WHY)
    household = Household.objects.select_for_update().get(pk=household.pk)
    require_area(actor, household.division_code, "该农户不在您的管辖范围内，不能登记问题")
    day = _today(today)
    data = scrub(dict(data or {}))
    errors = Errors()
    problem = _clean_problem(data, errors)
    source = validation.choice(data.get("source") or TicketSource.MANUAL, "source", "来源", errors,
                               choices=MANUAL_SOURCES)
    opened_on = validation.date(data.get("opened_on") or day, "opened_on", "发现日期", errors, not_after=day,
                                not_before=day - dt.timedelta(days=BACKDATE_DAYS))
    source_ref, visit = "", None
    if "source" not in errors:
        source_ref, visit = _clean_source_ref(actor, household, source, data.get("source_ref"), errors)
    if problem.get("dimension") and "dimension" not in errors:
        existing = Ticket.objects.filter(household=household, dimension=problem["dimension"],
                                         status=TicketStatus.OPEN).first()
        if existing is not None:
            errors["dimension"] = (f"该户已有未销号的{_name_open(existing)}，同一问题只能有一个未销号的问题，"
                                   f"请在原问题上补充或销号后再登记")
    errors.raise_if_any()
    contact = _current_contact(household.pk)
    try:
        with transaction.atomic():
            ticket = _open_one(actor, household, problem, source=source, source_ref=source_ref, visit=visit,
                               opened_on=opened_on, contact=contact)
    except IntegrityError:
        fail("dimension", f"该户已有未销号的{DIMENSIONS[problem['dimension']]}问题，请刷新后在原问题上补充")
    return Result(ticket, f"已登记户{household.number}的{ticket.get_dimension_display()}问题"
                          f"（{ticket.get_difficulty_display()}），须于{ticket.due_on:%Y-%m-%d}前销号")


def open_from_findings(actor, household: Household, problems: list[dict], *, source: str, visit=None,
                       source_ref: str = "", today=None) -> list:
    """Open (or add to) tickets for the problems found, in the caller's transaction. Each problem is a dict
    {"dimension", "description", "difficulty"?}; errors name ``problems`` with the item and field in Chinese.

    A problem whose household already has an open ticket of that dimension is appended to that ticket's
    description (trimmed to 500 characters), its deadline kept; the others get a new ticket.
    """
    if actor is not None:
        require_role(actor, OPEN_ROLES, "登记问题", WHY)
        require_area(actor, household.division_code, "该农户不在您的管辖范围内，不能登记问题")
    day = _today(today)
    if source not in dict(TicketSource.choices):
        fail("source", f"问题来源“{validation.shown(source)}”不在可选范围内")
    if not isinstance(problems, list | tuple):
        fail("problems", "发现的问题应为列表")
    errors = Errors()
    messages = []
    cleaned = []
    for i, raw in enumerate(problems):
        item = Errors()
        cleaned.append(_clean_problem(raw, item, f"第{i + 1}项问题的"))
        messages.extend(item.values())
    if messages:
        errors["problems"] = "；".join(messages)
    errors.raise_if_any()
    if not cleaned:
        return []
    opened_on = getattr(visit, "visited_on", None) or day
    source_ref = str(source_ref or (visit.pk if visit is not None else ""))[:60]
    # Several findings of one problem in the same call make one ticket.
    merged: dict[str, dict] = {}
    for p in cleaned:
        if p["dimension"] in merged:
            merged[p["dimension"]]["description"] += "；" + p["description"]
        else:
            merged[p["dimension"]] = dict(p)
    open_now = {t.dimension: t for t in Ticket.objects.select_for_update().filter(
        household_id=household.pk, status=TicketStatus.OPEN, dimension__in=list(merged))}
    contact = None if len(open_now) == len(merged) else _current_contact(household.pk)
    out = []
    label = dict(TicketSource.choices)[source]
    for dimension, problem in merged.items():
        ticket = open_now.get(dimension)
        if ticket is None:
            out.append(_open_one(actor, household, problem, source=source, source_ref=source_ref, visit=visit,
                                 opened_on=opened_on, contact=contact))
            continue
        before = {"description": ticket.description}
        added = f"；{opened_on:%Y-%m-%d}{label}：{problem['description']}"
        ticket.description = (ticket.description + added)[:DESCRIPTION_MAX]
        ticket.version += 1
        ticket.save(update_fields=["description", "version"])
        record(actor, "ticket.append", ticket, household=household, before=before,
               after={"description": ticket.description})
        out.append(ticket)
    return out


def open_from_registry(actor, county_code: str, *, today=None, source: str = "import", source_ref: str = "") -> int:
    """Open tickets, set-based, for households whose registry flags show a basic-needs or water problem
    and that have no open ticket for it; returns how many were opened.

    One query per problem reads the households (flag False, or housing graded C/D, no open ticket of that
    problem) with their village and current assistance contact; one bulk insert writes their tickets. One
    summary event is audited. Calling it again opens nothing new (idempotent)."""
    county_code = (county_code or "")[:6]
    if actor is not None:
        if not getattr(actor, "is_superuser", False):
            require_role(actor, REGISTRY_IMPORT_ROLES + RECLASSIFY_ROLES, "按农户数据批量登记问题", WHY)
        require_area(actor, county_code, "该县不在您的管辖范围内")
    if source not in dict(TicketSource.choices):
        fail("source", f"问题来源“{validation.shown(source)}”不在可选范围内")
    day = _today(today)
    due_on = due_date(county_code, TicketDifficulty.GENERAL, day)
    contact = ContactAssignment.objects.filter(household=OuterRef("pk"), ended_on__isnull=True)
    contact_label = contact.annotate(label=Coalesce(NullIf("contact__display_name", Value("")), "contact__username"))
    counts: dict[str, int] = {}
    created_by = actor if actor is not None and actor.is_authenticated else None
    with transaction.atomic():
        for dimension in TicketDimension.values:
            condition = (Q(housing_grade__in=UNSAFE_GRADES) if dimension == TicketDimension.HOUSING
                         else Q(**{FLAG_OF[dimension]: False}))
            open_ticket_q = Ticket.objects.filter(household=OuterRef("pk"), dimension=dimension,
                                                  status=TicketStatus.OPEN)
            rows = (Household.objects.filter(prefix_q("division_code", county_code), condition)
                    .filter(~Exists(open_ticket_q))
                    .annotate(responsible_ref=Subquery(contact.values("contact_id")[:1]))
                    .annotate(responsible_label=Subquery(contact_label.values("label")[:1]))
                    .values_list("pk", "division_code", "responsible_ref", "responsible_label"))
            tickets = [Ticket(household_id=pk, division_code=code, dimension=dimension,
                              description=IMPORT_TEXT[dimension], source=source, source_ref=source_ref[:60],
                              difficulty=TicketDifficulty.GENERAL, opened_on=day, due_on=due_on,
                              responsible_code=code[:12], responsible_id=ref, responsible_name=(label or "")[:40],
                              created_by=created_by)
                       for pk, code, ref, label in rows.iterator(chunk_size=2000)]
            if tickets:
                Ticket.objects.bulk_create(tickets, batch_size=1000)
            counts[dimension] = len(tickets)
        total = sum(counts.values())
        county = Division.objects.filter(code=county_code).first() if total else None
        if county is not None:  # nothing opened, nothing recorded
            record(actor, "ticket.open_registry", county, division_code=county_code,
                   after={"opened": total, "by_dimension": {DIMENSIONS[k]: v for k, v in counts.items() if v},
                          "source": source, "source_ref": source_ref, "opened_on": day})
    return total


@transaction.atomic
def reclassify(actor, ticket: Ticket, difficulty: str, reason: str, *, today=None) -> Result:
    """Township or county changes a problem's difficulty class; the deadline is recomputed from the day
    the problem was found."""
    require_role(actor, RECLASSIFY_ROLES, "调整问题难易程度", WHY)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    require_area(actor, ticket.division_code, "该问题不在您的管辖范围内")
    errors = Errors()
    difficulty = validation.choice(difficulty, "difficulty", "难易程度", errors, choices=DIFFICULTIES)
    reason = validation.text(reason, "reason", "调整原因", errors, max_length=REASON_MAX)
    if ticket.status != TicketStatus.OPEN:
        errors["__all__"] = f"问题#{ticket.pk}已于{ticket.closed_on:%Y-%m-%d}销号，不能再调整难易程度"
    elif "difficulty" not in errors and difficulty == ticket.difficulty:
        errors["difficulty"] = f"难易程度已是“{ticket.get_difficulty_display()}”，未作调整"
    errors.raise_if_any()
    before = {"difficulty": ticket.difficulty, "due_on": ticket.due_on}
    ticket.difficulty = difficulty
    ticket.due_on = due_date(ticket.division_code, difficulty, ticket.opened_on)
    ticket.version += 1
    ticket.save(update_fields=["difficulty", "due_on", "version"])
    record(actor, "ticket.reclassify", ticket, household=ticket.household, before=before,
           after={"difficulty": difficulty, "due_on": ticket.due_on, "reason": reason})
    return Result(ticket, f"问题#{ticket.pk}已调整为{ticket.get_difficulty_display()}，"
                          f"销号期限为{ticket.due_on:%Y-%m-%d}")


@transaction.atomic
def assign(actor, ticket: Ticket, responsible_user_id) -> Result:
    """Township or village names the person responsible for clearing a problem."""
    require_role(actor, ASSIGN_ROLES, "指定问题责任人", WHY)
    ticket = Ticket.objects.select_for_update().select_related("household").get(pk=ticket.pk)
    require_area(actor, ticket.division_code, "该问题不在您的管辖范围内")
    if ticket.status != TicketStatus.OPEN:
        fail("__all__", f"问题#{ticket.pk}已销号，不能再指定责任人")
    pk = validation.integer(responsible_user_id, "responsible", "责任人", Errors(), minimum=1, maximum=2**31)
    person = responsible_candidates(actor, ticket.household).filter(pk=pk).first() if pk else None
    if person is None:
        fail("responsible", "责任人不存在、已停用，或不在本辖区（须为负责该户所在村、乡镇的工作人员或帮扶联系人）")
    if person.pk == ticket.responsible_id:
        fail("responsible", f"{person}已是该问题的责任人")
    before = {"responsible_name": ticket.responsible_name}
    ticket.responsible, ticket.responsible_name = person, str(person)[:40]
    ticket.version += 1
    ticket.save(update_fields=["responsible", "responsible_name", "version"])
    record(actor, "ticket.assign", ticket, household=ticket.household, before=before,
           after={"responsible_name": ticket.responsible_name})
    return Result(ticket, f"已指定{person}（{person.role_label}）为问题#{ticket.pk}的责任人")


def _clean_file(upload, errors: Errors):
    if not upload:
        return None
    name = validation.shown(Path(upload.name or "").name)
    ext = Path(upload.name or "").suffix.lower()
    if ext not in EVIDENCE_EXTENSIONS:
        errors["file"] = (f"佐证材料 {name} 的文件类型不支持"
                          f"（可上传 {'、'.join(sorted(e.lstrip('.') for e in EVIDENCE_EXTENSIONS))}）")
    elif upload.size > EVIDENCE_MAX_BYTES:
        errors["file"] = f"佐证材料 {name} 超过10MB"
    elif upload.size == 0:
        errors["file"] = f"佐证材料 {name} 是空文件"
    return upload


@transaction.atomic
def close_ticket(actor, ticket: Ticket, data: dict, *, upload=None, today=None) -> Result:
    """Clear a problem (销号) with evidence: what was done, in words (at least 10 characters), and an
    optional file. Where the actor may write the registry, the household's flag for the problem is marked
    secure through the registry's services (账实相符)."""
    require_role(actor, CLOSE_ROLES + (Role.GRID_WORKER, Role.ASSISTANCE_CONTACT), "问题销号", WHY)
    ticket = Ticket.objects.select_for_update().select_related("household").get(pk=ticket.pk)
    require_area(actor, ticket.division_code, "该问题不在您的管辖范围内")
    if actor.role not in CLOSE_ROLES and ticket.responsible_id != actor.pk:
        raise PermissionDenied("问题销号由该问题的责任人、村干部、乡镇或县乡村振兴局办理")
    day = _today(today)
    data = scrub(dict(data or {}))
    version = data.get("version")
    if ticket.status != TicketStatus.OPEN:
        fail("__all__", f"问题#{ticket.pk}已于{ticket.closed_on:%Y-%m-%d}由{ticket.closed_by or '他人'}销号")
    if not validation.is_empty(version) and str(version).strip() != str(ticket.version):
        fail("__all__", "该问题已被他人修改，请刷新后重新提交（本次未保存）")
    errors = Errors()
    closed_on = validation.date(data.get("closed_on") or day, "closed_on", "销号日期", errors, not_after=day,
                                not_before=ticket.opened_on, before_label="发现日期 ")
    evidence = validation.text(data.get("evidence"), "evidence", "销号佐证", errors, max_length=EVIDENCE_MAX,
                               missing="销号必须提供佐证：请写明采取了什么措施、问题如何解决"
                                       "（如“已完成危房改造并验收，住房鉴定为B级”）")
    if evidence and "evidence" not in errors and len(evidence) < EVIDENCE_MIN:
        errors["evidence"] = f"销号佐证过于简单（至少{EVIDENCE_MIN}个字）：请写明采取了什么措施、问题如何解决"
    grade = str(data.get("housing_grade") or "").strip().upper()
    if grade:
        if ticket.dimension != TicketDimension.HOUSING:
            errors["housing_grade"] = "只有住房安全问题销号时才填写新的住房鉴定等级"
        elif grade not in SAFE_GRADES:
            errors["housing_grade"] = f"住房安全问题销号时，新的住房鉴定等级应为A级或B级，收到“{validation.shown(grade)}”"
    upload = _clean_file(upload, errors)
    errors.raise_if_any()
    before = {"status": ticket.status}
    ticket.status, ticket.closed_on, ticket.evidence, ticket.closed_by = TicketStatus.CLOSED, closed_on, evidence, actor
    ticket.version += 1
    fields = ["status", "closed_on", "evidence", "closed_by", "version"]
    if upload:
        ticket.evidence_file_name = Path(upload.name).name[:200]
        ticket.evidence_file.save(ticket.evidence_file_name, upload, save=False)
        fields += ["evidence_file", "evidence_file_name"]
    ticket.save(update_fields=fields)
    registry = ""
    if actor.caps.write_registry:
        from fangpin.registry.services import update_basic_needs

        change = {"basic_needs_checked_on": closed_on}
        if ticket.dimension == TicketDimension.HOUSING:
            if grade:
                change["housing_grade"] = grade
        else:
            change[FLAG_OF[ticket.dimension]] = True
        if len(change) > 1:
            update_basic_needs(actor, ticket.household, change)
            registry = "，农户信息已同步更新为有保障"
        elif ticket.dimension == TicketDimension.HOUSING:
            registry = "（未填写新的住房鉴定等级，农户信息中的住房等级未改）"
    record(actor, "ticket.close", ticket, household=ticket.household, before=before, after={
        "status": ticket.status, "closed_on": closed_on, "evidence": evidence, "file": ticket.evidence_file_name,
        "housing_grade": grade})
    return Result(ticket, f"问题#{ticket.pk}（{ticket.get_dimension_display()}）已于{closed_on:%Y-%m-%d}销号{registry}")


# --- lists, summaries, pending actions, household panel ----------------------------------------------


def village_summary(user, today: dt.date, qs=None) -> list[dict]:
    """Per village of the user's area: open, overdue and closed-this-year tickets (three grouped queries)."""
    qs = tickets_visible_to(user) if qs is None else qs
    rows: dict[str, dict] = {}
    for r in (qs.values("responsible_code").annotate(
            open=Count("id", filter=Q(status=TicketStatus.OPEN)),
            closed=Count("id", filter=Q(status=TicketStatus.CLOSED, closed_on__year=today.year)))):
        rows[r["responsible_code"]] = {"code": r["responsible_code"], "open": r["open"], "closed": r["closed"],
                                       "overdue": 0}
    late = scope_filter(overdue_querysets(today)["ticket"], user).annotate(village=Substr("division_code", 1, 12))
    for r in late.values("village").annotate(n=Count("id")).order_by():
        rows.setdefault(r["village"], {"code": r["village"], "open": 0, "closed": 0, "overdue": 0})["overdue"] = r["n"]
    names = dict(Division.objects.filter(code__in=list(rows)).values_list("code", "name"))
    out = [dict(r, name=names.get(code, code)) for code, r in rows.items() if r["open"] or r["closed"] or r["overdue"]]
    return sorted(out, key=lambda r: (-r["overdue"], -r["open"], r["code"]))


def _pending(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    code = user.scope_code or ""
    if len(code) < 6:
        return []
    day = local_today()
    items: list[dict] = []
    if user.role == Role.TOWNSHIP_STAFF:
        count = overdue_tickets(tickets_visible_to(user), day).count()
        if count:
            items.append({"title": f"本乡镇逾期未销号的问题 {count} 个", "url": reverse("followup:ticket_list") + "?overdue=1",
                          "due": None, "overdue": True, "remaining": ""})
        return items
    if user.role == Role.VILLAGE_CADRE:
        qs = tickets_visible_to(user).filter(status=TicketStatus.OPEN)
    else:
        qs = Ticket.objects.filter(responsible=user, status=TicketStatus.OPEN)
        qs = scope_filter(qs, user)
    tickets = decorate(qs.select_related("household").order_by("due_on", "id")[:PENDING_ITEMS], day)
    for t in tickets:
        items.append({"title": f"问题清零：户{t.household.number} {t.get_dimension_display()}问题",
                      "url": reverse("followup:ticket_detail", args=[t.pk]), "due": t.due_on,
                      "overdue": t.overdue, "remaining": t.remaining})
    return items


def _panel(user, household) -> dict | None:
    tickets = decorate(tickets_visible_to(user).filter(household_id=household.pk)
                       .order_by("status", "due_on", "-id")[:30], local_today(), user)
    if not tickets and not may_open(user):
        return None
    return {"title": "问题清零（两不愁三保障及饮水安全）", "template": "followup/tickets/_panel.html", "order": 40,
            "context": {"tickets": tickets, "household": household, "can_open": may_open(user)}}


def register() -> None:
    """Hook this module into the pages (pending actions, household panels and badges, audit labels)."""
    from fangpin.accounts.pending import PENDING_PROVIDERS
    from fangpin.audit.services import ACTION_LABELS
    from fangpin.registry.panels import HOUSEHOLD_PANELS

    ACTION_LABELS.update(ACTION_NAMES)
    if _pending not in PENDING_PROVIDERS:
        PENDING_PROVIDERS.append(_pending)
    if _panel not in HOUSEHOLD_PANELS:
        HOUSEHOLD_PANELS.append(_panel)
