"""The county policy catalogue (政策清单, R-AID-01, R-AID-02): the one door for its reads and writes.

How a year's catalogue comes about (000 三(一), profile ``[policy_catalogue]``):

1. Each county department (行业部门, role ``department_officer``, ``user.department``) keeps its own
   list of policies for the year (``PolicyList.kind = department``): adds, edits and removes policies by
   form or by importing a file in the 附件1 layout, then submits it (报送) by ``departments_due``.
   A submitted list is read-only; the department may take it back (撤回修改) while it is not part of a
   published catalogue draft being compiled — the county office sees the change on its next compilation.
2. The county office (role ``county_office``) compiles the submitted lists into a draft of the county
   catalogue (``kind = catalogue``, version N+1: every submitted policy, copied with its origin), may
   edit or exclude policies of the draft, and publishes it by ``county_due``. The previous published
   version becomes superseded. A published version is never edited: a change is a new version, and a
   plan keeps the version it chose from (``Plan.catalogue``).

Every write runs in one transaction: the actor's role and county are checked (and the county's write
lock taken), the list is locked, the state is checked, every field is validated with the shared
validators (Chinese messages naming the field), the rows are written and one audit event is recorded;
a refused call changes nothing, a call that changes nothing records nothing.

Reads go through ``lists_visible_to`` / ``get_list_for`` / ``get_policy_for``: a list outside the
user's county (or a department list of another department, for a department officer) is a 404.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from fangpin import validation
from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import require_area, require_person, require_role
from fangpin.areas.models import Division, Level
from fangpin.audit.services import record
from fangpin.policy.profiles import ProfileError
from fangpin.profiles.services import profile_for_county
from fangpin.profiles.services import today as local_today
from fangpin.validation import Errors, fail

from .models import Handler, ListKind, ListStatus, MeasureKind, Policy, PolicyList

DEPARTMENT_ROLES = (Role.DEPARTMENT_OFFICER,)
COUNTY_ROLES = (Role.COUNTY_OFFICE,)
VILLAGE_ROLES = (Role.VILLAGE_CADRE,)
# Who sees every list of the county (department lists included, drafts too, read-only but for the county office).
COUNTY_READERS = (Role.COUNTY_OFFICE, Role.SUPERVISOR, Role.ADMINISTRATOR)
WHY = "政策清单的每一次修改、报送和发布都必须由具体人员办理并留痕"

ACTION_NAMES = {
    "policy_list.create": "新建政策清单",
    "policy_list.submit": "报送部门政策清单",
    "policy_list.reopen": "撤回部门政策清单修改",
    "policy_list.import": "导入政策清单（附件1）",
    "policy.create": "新增帮扶政策",
    "policy.update": "修改帮扶政策",
    "policy.remove": "删除帮扶政策",
    "catalogue.compile": "汇总县级政策清单",
    "catalogue.publish": "发布县级政策清单",
}

POLICY_FIELDS = ("type", "name", "content", "target_population", "conditions_text", "conditions", "procedure",
                 "department", "contact_name", "office_phone", "mobile", "kind", "handler")
DATE_KEYS = {"departments_due": "部门报送政策清单", "county_due": "县级汇总发布政策清单",
             "villages_due": "村级制定帮扶清单"}
# Types the 附件1 sample and R-AID-01 name; any other short type is accepted too.
COMMON_TYPES = ("就业帮扶", "产业帮扶", "健康帮扶", "教育帮扶", "住房保障", "饮水安全", "综合保障", "金融帮扶",
                "公益岗位", "社会帮扶", "技能培训", "其他帮扶")
LABOUR_CAPABLE = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力")
LABOUR_NONE = ("丧失劳动力", "无劳动力")
LABOUR_VALUES = (*LABOUR_CAPABLE, *LABOUR_NONE)
SOCIAL_ASSISTANCE = ("低保", "特困")
MIN_YEAR = 2020
REMIND_DAYS_BEFORE = 30  # reminders appear this many days before a due date


def _today(today: dt.date | None) -> dt.date:
    return today or local_today()


def max_year(today: dt.date | None = None) -> int:
    return _today(today).year + 1


# --- derived values (also used by the import) --------------------------------------------------------

_DEVELOPMENTAL = ("就业", "产业", "公益岗", "公益性岗", "金融", "小额信贷", "技能", "培训", "以工代赈", "创业", "务工")
_SAFETY_NET = ("综合保障", "兜底", "低保", "特困", "残疾人补贴", "残疾补贴", "两项补贴", "临时救助", "救助", "供养")


def derive_kind(type_: str, name: str = "") -> str:
    """Developmental (开发式) for employment, industry, public-welfare posts, finance/microcredit and skills;
    safety-net (兜底) for comprehensive protection, 低保, 特困, disability allowances and temporary relief;
    else other. The type decides first, then the name."""
    for text in (type_ or "", name or ""):
        if any(word in text for word in _DEVELOPMENTAL):
            return MeasureKind.DEVELOPMENTAL
        if any(word in text for word in _SAFETY_NET):
            return MeasureKind.SAFETY_NET
    return MeasureKind.OTHER


_APPROVAL = re.compile(r"(县|部门|局|委|中心|办).{0,12}(审批|审核|批准|核准|审定|复核)|(报|向|经)(县|部门)")


def derive_handler(procedure: str) -> str:
    """A county department's approval in the procedure → the department handles it; else the township."""
    return Handler.DEPARTMENT if _APPROVAL.search(procedure or "") else Handler.TOWNSHIP


_AGE_RANGE = re.compile(r"(\d{1,3})\s*(?:周岁|岁)?\s*(?:-|—|–|~|～|至|到)\s*(\d{1,3})\s*(?:周岁|岁)")
_AGE_MIN = re.compile(r"(?:年满|满)?\s*(\d{1,3})\s*(?:周岁|岁)\s*(?:以上|及以上|以上的)")
_AGE_MAX = re.compile(r"(\d{1,3})\s*(?:周岁|岁)\s*(?:以下|及以下)")
_INCOME = re.compile(r"人均(?:纯|可支配)?收入\D{0,8}?(?:低于|不足|不高于|未超过|以下|<|≤)\s*(\d+(?:\.\d+)?)\s*(万)?元")
_BROAD = ("其他", "低收入", "所有", "全体", "一般农户", "农村居民", "群众")


def derive_conditions(target: str, conditions_text: str, *, categories: dict[str, str] | None = None,
                      risk_types: tuple[str, ...] = ()) -> dict:
    """What can safely be read from 适用人群 / 适用人群条件: labour capacity, disability, student,
    categories (only when the text names no broader group), 低保/特困, risk types, age bounds and an
    income ceiling. Anything not recognised is left out (an absent key does not restrict)."""
    text = f"{target or ''} {conditions_text or ''}"
    out: dict = {}
    if re.search(r"(无|丧失|没有)劳动(能力|力)", text):
        out["labour"] = list(LABOUR_NONE)
    elif re.search(r"(有|具备|具有)劳动(能力|力)|劳动力", text):
        out["labour"] = list(LABOUR_CAPABLE)
    if "残疾" in text:
        out["disability"] = True
    if re.search(r"在校|学生|就读|大学生|中职|高职", text):
        out["student"] = True
    found_social = [word for word in SOCIAL_ASSISTANCE if word in text]
    if found_social:
        out["social_assistance"] = found_social
    if categories and not any(word in text for word in _BROAD):
        codes = []
        for code, name in categories.items():
            if name and name in text:
                codes.append(code)
        if re.search(r"易返贫致贫|监测对象|防返贫监测", text):
            codes.extend(c for c in ("unstable_formerly_poor", "marginal_at_risk", "sudden_hardship") if c in categories)
        if re.search(r"建档立卡|脱贫人口|脱贫户", text):
            codes.extend(c for c in ("formerly_poor", "unstable_formerly_poor") if c in categories)
        codes = list(dict.fromkeys(codes))
        if codes:
            out["categories"] = codes
    risks = [r for r in risk_types if r and r in text]
    if risks:
        out["risk_types"] = risks
    match = _AGE_RANGE.search(text)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        if 0 <= low <= high <= 120:
            out["min_age"], out["max_age"] = low, high
    else:
        low_match, high_match = _AGE_MIN.search(text), _AGE_MAX.search(text)
        if low_match and int(low_match.group(1)) <= 120:
            out["min_age"] = int(low_match.group(1))
        if high_match and int(high_match.group(1)) <= 120:
            out["max_age"] = int(high_match.group(1))
    match = _INCOME.search(text)
    if match:
        amount = Decimal(match.group(1)) * (10000 if match.group(2) else 1)
        out["max_per_capita_income"] = str(amount.quantize(Decimal("0.01")))
    return out


def category_names(county_code: str) -> dict[str, str]:
    try:
        return {c["code"]: c["name"] for c in profile_for_county(county_code).param("categories.household")}
    except (ProfileError, KeyError, TypeError):
        return {}


def risk_type_values() -> tuple[str, ...]:
    from fangpin.registry import vocab

    return tuple(vocab.values("risk_type"))


def labour_values() -> tuple[str, ...]:
    """The member labour values of the value list (the ones structured conditions may name)."""
    from fangpin.registry import vocab

    return tuple(vocab.values("labour")) or LABOUR_VALUES


def conditions_summary(conditions: dict, categories: dict[str, str] | None = None) -> str:
    """The structured conditions as one Chinese sentence (pages, exports)."""
    parts = []
    if conditions.get("categories"):
        names = categories or {}
        parts.append("户类别：" + "、".join(names.get(c, c) for c in conditions["categories"]))
    if conditions.get("social_assistance"):
        parts.append("享受" + "、".join(conditions["social_assistance"]))
    if conditions.get("risk_types"):
        parts.append("风险：" + "、".join(conditions["risk_types"]))
    if conditions.get("labour"):
        labour = conditions["labour"]
        parts.append("有劳动能力" if set(labour) == set(LABOUR_CAPABLE) else
                     "无劳动能力" if set(labour) == set(LABOUR_NONE) else "劳动能力：" + "、".join(labour))
    low, high = conditions.get("min_age"), conditions.get("max_age")
    if low is not None and high is not None:
        parts.append(f"{low}至{high}周岁")
    elif low is not None:
        parts.append(f"{low}周岁以上")
    elif high is not None:
        parts.append(f"{high}周岁以下")
    if conditions.get("disability"):
        parts.append("有残疾人")
    if conditions.get("student"):
        parts.append("有在校学生")
    if conditions.get("max_per_capita_income"):
        parts.append(f"人均纯收入低于{conditions['max_per_capita_income']}元")
    return "；".join(parts)


# --- profile dates ------------------------------------------------------------------------------------


def catalogue_dates(county_code: str, year: int) -> dict[str, dt.date]:
    """The year's due dates of the profile (``departments_due``, ``county_due``, ``villages_due``)."""
    profile = profile_for_county(county_code)
    out = {}
    for key in DATE_KEYS:
        try:
            raw = str(profile.param(f"policy_catalogue.{key}"))
            month, day = (int(x) for x in raw.split("-"))
            out[key] = dt.date(year, month, day)
        except (ProfileError, ValueError, TypeError):
            raise ValidationError({"__all__": f"本县政策画像中 policy_catalogue.{key} 应为“月-日”（如 02-08）"})
    return out


# --- reads ------------------------------------------------------------------------------------------


def _county_of(user) -> str | None:
    code = getattr(user, "scope_code", None)
    if code is None:
        return None
    return code[:6] if len(code) >= 6 else code


def lists_visible_to(user):
    """The lists ``user`` may see: the county office, supervisors and administrators every list of their
    county (or area above it); a department officer the published catalogues of the county and the lists
    of their own department; anyone else in a county the published (and superseded) catalogues."""
    qs = PolicyList.objects.all()
    if user is None or not user.is_authenticated:
        return qs.none()
    code = user.scope_code
    if code is None:
        return qs.none()
    if code == "" or len(code) < 6:
        qs = qs.filter(county_code__startswith=code)
    else:
        qs = qs.filter(county_code=code[:6])
    published = Q(kind=ListKind.CATALOGUE, status__in=(ListStatus.PUBLISHED, ListStatus.SUPERSEDED))
    if user.role in COUNTY_READERS and (code == "" or len(code) <= 6):
        return qs
    if user.role in DEPARTMENT_ROLES and user.department and len(code) <= 6:
        return qs.filter(published | Q(kind=ListKind.DEPARTMENT, department=user.department))
    return qs.filter(published)


NOT_FOUND = "政策清单不存在或不在您的管辖范围内"


def get_list_for(user, pk) -> PolicyList:
    try:
        return lists_visible_to(user).select_related("county").get(pk=pk)
    except (ValueError, TypeError, ValidationError, PolicyList.DoesNotExist):
        raise Http404(NOT_FOUND)


def get_policy_for(user, pk) -> Policy:
    try:
        return Policy.objects.select_related("policy_list", "policy_list__county").get(
            pk=pk, policy_list__in=lists_visible_to(user))
    except (ValueError, TypeError, ValidationError, Policy.DoesNotExist):
        raise Http404("帮扶政策不存在或不在您的管辖范围内")


def current_catalogue(county_code: str, year: int) -> PolicyList | None:
    """The county's published catalogue of ``year`` (the version plans choose from), or None."""
    return (PolicyList.objects.filter(county_code=county_code[:6], year=year, kind=ListKind.CATALOGUE,
                                      status=ListStatus.PUBLISHED).order_by("-version").first())


def latest_published(county_code: str) -> PolicyList | None:
    """The newest published catalogue of the county, whatever the year (for the public page)."""
    return (PolicyList.objects.filter(county_code=county_code[:6], kind=ListKind.CATALOGUE,
                                      status=ListStatus.PUBLISHED).select_related("county")
            .order_by("-year", "-version").first())


def policies_by_type(policy_list: PolicyList, q: str = "") -> list[tuple[str, list[Policy]]]:
    qs = policy_list.policies.all()
    q = (q or "").strip()[:40]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(content__icontains=q) | Q(type__icontains=q)
                       | Q(target_population__icontains=q) | Q(department__icontains=q))
    groups: dict[str, list[Policy]] = {}
    for p in qs.order_by("position", "pk"):
        groups.setdefault(p.type, []).append(p)
    return list(groups.items())


def department_lists(county_code: str, year: int):
    return (PolicyList.objects.filter(county_code=county_code, year=year, kind=ListKind.DEPARTMENT)
            .annotate(n=Count("policies")).order_by("department"))


def county_departments(county_code: str) -> list[str]:
    """Departments with an officer account in the county (those expected to submit a list)."""
    from fangpin.accounts.models import User

    rows = (User.objects.filter(role=Role.DEPARTMENT_OFFICER, is_active=True, division__code=county_code)
            .exclude(department="").values_list("department", flat=True).distinct())
    return sorted(set(rows))


def draft_catalogue(county_code: str, year: int) -> PolicyList | None:
    return PolicyList.objects.filter(county_code=county_code, year=year, kind=ListKind.CATALOGUE,
                                     status=ListStatus.DRAFT).first()


# --- write helpers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    obj: object
    message: str
    changed: bool = True


def lock_list(policy_list: PolicyList) -> PolicyList:
    try:
        return PolicyList.objects.select_for_update().select_related("county").get(pk=policy_list.pk)
    except PolicyList.DoesNotExist:
        fail("__all__", "政策清单已不存在，请刷新页面")


def _state(pl: PolicyList) -> dict:
    return {"status": pl.status, "version": pl.version, "policies": pl.policies.count()}


def _county(actor) -> Division:
    """The actor's county (their own division must be a county)."""
    division = getattr(actor, "division", None)
    if division is None or division.level != Level.COUNTY:
        raise PermissionDenied("政策清单由县级部门和县乡村振兴局在本县账号下维护，您的账号不属于某个县")
    return division


def _year(value, today: dt.date | None = None) -> int:
    errors = Errors()
    year = validation.integer(value, "year", "年度", errors, minimum=MIN_YEAR, maximum=max_year(today),
                              message=f"年度应为{MIN_YEAR}到{max_year(today)}之间的年份，收到“{validation.shown(value)}”")
    errors.raise_if_any()
    return year


def require_editor(actor, pl: PolicyList) -> None:
    """Who may change the policies of ``pl``: its own department (department list, a draft) or the county
    office (catalogue, a draft)."""
    require_person(actor, WHY)
    if pl.kind == ListKind.DEPARTMENT:
        require_role(actor, DEPARTMENT_ROLES, "修改部门政策清单", WHY)
        if actor.department != pl.department:
            raise PermissionDenied(f"只能修改本部门（{actor.department or '未设置部门'}）的政策清单，该清单属于{pl.department}")
    else:
        require_role(actor, COUNTY_ROLES, "修改县级政策清单", WHY)
    require_area(actor, pl.county_code, "该政策清单不在您的管辖范围内")
    if pl.status != ListStatus.DRAFT:
        if pl.kind == ListKind.CATALOGUE:
            fail("__all__", f"{pl}{pl.get_status_display()}，已发布的版本不能修改：如需调整，请汇总新版本后发布")
        fail("__all__", f"{pl}已报送，不能修改；如需调整，请先撤回修改")


# --- department lists ---------------------------------------------------------------------------------


@transaction.atomic
def open_department_list(actor, year, *, today: dt.date | None = None) -> Result:
    """The actor's department's list of ``year``, created (draft) when it does not exist yet."""
    require_role(actor, DEPARTMENT_ROLES, "编制部门政策清单", WHY)
    if not actor.department:
        fail("department", "您的账号未设置所属部门，请联系系统管理员")
    county = _county(actor)
    year = _year(year, today)
    require_area(actor, county.code, "该县不在您的管辖范围内")
    pl = PolicyList.objects.filter(county=county, year=year, kind=ListKind.DEPARTMENT,
                                   department=actor.department, version=0).first()
    if pl is not None:
        return Result(pl, f"{pl}", changed=False)
    try:
        with transaction.atomic():  # two first clicks at once: the second finds the list the first made
            pl = PolicyList.objects.create(
                county=county, county_code=county.code, year=year, kind=ListKind.DEPARTMENT,
                department=actor.department, title=f"{year}年{county.name}{actor.department}防返贫帮扶政策清单",
                created_by=actor)
    except IntegrityError:
        pl = PolicyList.objects.get(county=county, year=year, kind=ListKind.DEPARTMENT, department=actor.department,
                                    version=0)
        return Result(pl, f"{pl}", changed=False)
    record(actor, "policy_list.create", pl, after=_state(pl), division_code=county.code)
    return Result(pl, f"已新建{pl}")


def _clean_conditions(raw, errors: Errors, county_code: str) -> dict:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        errors["conditions"] = "适用条件（结构化）格式不正确"
        return {}
    out: dict = {}
    cats = category_names(county_code)
    for key, allowed, label in (("categories", tuple(cats), "户类别"), ("risk_types", risk_type_values(), "风险类型"),
                                ("labour", labour_values(), "劳动能力"), ("social_assistance", SOCIAL_ASSISTANCE, "享受政策")):
        values = raw.get(key) or []
        if isinstance(values, str):
            values = [v for v in re.split(r"[,，、\s]+", values) if v]
        if not isinstance(values, list | tuple):
            errors[f"conditions.{key}"] = f"{label}应为列表"
            continue
        values = list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
        bad = [v for v in values if v not in allowed]
        if bad:
            errors[f"conditions.{key}"] = f"{label}“{'、'.join(validation.shown(v) for v in bad)}”不在可选值中"
        elif values:
            out[key] = values
    ages = {}
    for key, label in (("min_age", "最低年龄"), ("max_age", "最高年龄")):
        value = validation.integer(raw.get(key), f"conditions.{key}", label, errors, minimum=0, maximum=120,
                                   required=False)
        if value is not None:
            ages[key] = value
    if "min_age" in ages and "max_age" in ages and ages["min_age"] > ages["max_age"]:
        errors["conditions.max_age"] = "最高年龄不能小于最低年龄"
    out.update(ages)
    for key, label in (("disability", "有残疾人"), ("student", "有在校学生")):
        value = validation.boolean(raw.get(key), f"conditions.{key}", label, errors)
        if value:
            out[key] = True
    income = raw.get("max_per_capita_income")
    if not validation.is_empty(income):
        amount = validation.money(income, "conditions.max_per_capita_income", "人均纯收入上限", errors,
                                  maximum=Decimal("1000000"))
        if amount:
            out["max_per_capita_income"] = str(amount)
    return out


def clean_policy(data: dict, pl: PolicyList, errors: Errors) -> dict:
    """The policy fields of ``data`` checked (Chinese messages naming the field); kind and handler
    derived from the type, name and procedure when not given."""
    v = {}
    v["type"] = validation.text(data.get("type"), "type", "帮扶类型", errors, max_length=20)
    v["name"] = validation.text(data.get("name"), "name", "帮扶政策", errors, max_length=100)
    v["content"] = validation.text(data.get("content"), "content", "帮扶政策具体内容", errors, max_length=4000)
    v["target_population"] = validation.text(data.get("target_population"), "target_population", "适用人群", errors,
                                             required=False, max_length=300)
    v["conditions_text"] = validation.text(data.get("conditions_text"), "conditions_text", "适用人群条件", errors,
                                           required=False, max_length=2000)
    v["procedure"] = validation.text(data.get("procedure"), "procedure", "申报程序（相关资料）", errors,
                                     required=False, max_length=4000)
    department = validation.text(data.get("department"), "department", "部门", errors, required=False, max_length=40)
    if pl.kind == ListKind.DEPARTMENT:
        if department and department != pl.department:
            errors["department"] = f"部门政策清单只能包含本部门（{pl.department}）的政策，收到“{validation.shown(department)}”"
        department = pl.department
    elif not department and "department" not in errors:
        errors["department"] = "部门不能为空"
    v["department"] = department
    v["contact_name"] = validation.text(data.get("contact_name"), "contact_name", "联系人", errors, required=False,
                                        max_length=40)
    v["office_phone"] = validation.phone(data.get("office_phone"), "office_phone", "办公电话", errors)
    v["mobile"] = validation.phone(data.get("mobile"), "mobile", "手机号码", errors)
    if v["mobile"] and "mobile" not in errors and not v["mobile"].startswith("1"):
        errors["mobile"] = f"手机号码格式不正确：{validation.shown(v['mobile'])}（应为11位手机号）"
    if validation.is_empty(data.get("conditions")) and data.get("derive_conditions", True):
        v["conditions"] = derive_conditions(v["target_population"], v["conditions_text"],
                                            categories=category_names(pl.county_code), risk_types=risk_type_values())
    else:
        v["conditions"] = _clean_conditions(data.get("conditions"), errors, pl.county_code)
    kind = data.get("kind")
    v["kind"] = (validation.choice(kind, "kind", "帮扶性质", errors, choices=dict(MeasureKind.choices))
                 if not validation.is_empty(kind) else derive_kind(v["type"], v["name"]))
    handler = data.get("handler")
    v["handler"] = (validation.choice(handler, "handler", "落实方式", errors, choices=dict(Handler.choices))
                    if not validation.is_empty(handler) else derive_handler(v["procedure"]))
    return v


def _policy_state(p: Policy) -> dict:
    return {f: getattr(p, f) for f in POLICY_FIELDS}


@transaction.atomic
def save_policy(actor, policy_list: PolicyList, data: dict, *, policy: Policy | None = None) -> Result:
    """Add a policy to a draft list (``policy`` None) or change one of its policies."""
    pl = lock_list(policy_list)
    require_editor(actor, pl)
    if policy is not None and policy.policy_list_id != pl.pk:
        fail("__all__", "该政策不属于这份清单")
    errors = Errors()
    values = clean_policy(validation.scrub(dict(data)), pl, errors)
    errors.raise_if_any()
    if policy is None:
        position = (pl.policies.aggregate(m=Max("position"))["m"] or 0) + 1
        p = Policy.objects.create(policy_list=pl, position=position, **values)
        record(actor, "policy.create", p, after=_policy_state(p), division_code=pl.county_code)
        return Result(p, f"已新增政策“{p.name}”")
    p = Policy.objects.select_for_update().get(pk=policy.pk)
    before = {f: getattr(p, f) for f in POLICY_FIELDS if getattr(p, f) != values[f]}
    if not before:
        return Result(p, "没有修改任何内容", changed=False)
    for f in before:
        setattr(p, f, values[f])
    p.save(update_fields=list(before))
    record(actor, "policy.update", p, before=before, after={f: values[f] for f in before},
           division_code=pl.county_code)
    return Result(p, f"已修改政策“{p.name}”")


@transaction.atomic
def remove_policy(actor, policy: Policy) -> Result:
    """Remove a policy from a draft list (in a catalogue draft: exclude it from this version)."""
    pl = lock_list(policy.policy_list)
    require_editor(actor, pl)
    p = Policy.objects.select_for_update().filter(pk=policy.pk, policy_list=pl).first()
    if p is None:
        fail("__all__", "该政策已不在清单中，请刷新页面")
    if p.measures.exists():
        fail("__all__", f"政策“{p.name}”已被帮扶措施引用，不能删除")
    copies = Policy.objects.filter(origin=p).select_related("policy_list")
    published = sorted({c.policy_list.version for c in copies if c.policy_list.status != ListStatus.DRAFT})
    if published:
        fail("__all__", f"政策“{p.name}”已汇总进县级政策清单第{'、'.join(map(str, published))}版，不能删除："
                        "如不再适用，请在清单中修改说明，并请县乡村振兴局在新版本中剔除")
    copies.update(origin=None)  # a draft compiled earlier keeps its copy; the next compilation leaves it out
    state = _policy_state(p)
    name = p.name
    record(actor, "policy.remove", p, before=state, division_code=pl.county_code)
    p.delete()
    return Result(pl, f"已删除政策“{name}”")


@transaction.atomic
def submit_list(actor, policy_list: PolicyList, *, today: dt.date | None = None) -> Result:
    """The department submits (报送) its list to the county office."""
    pl = lock_list(policy_list)
    require_role(actor, DEPARTMENT_ROLES, "报送部门政策清单", WHY)
    if pl.kind != ListKind.DEPARTMENT:
        fail("__all__", "只有部门政策清单需要报送")
    if actor.department != pl.department:
        raise PermissionDenied(f"只能报送本部门（{actor.department or '未设置部门'}）的政策清单，该清单属于{pl.department}")
    require_area(actor, pl.county_code, "该政策清单不在您的管辖范围内")
    if pl.status != ListStatus.DRAFT:
        fail("__all__", f"{pl}已报送，不能重复报送")
    if not pl.policies.exists():
        fail("__all__", "清单中还没有政策，不能报送：请先新增或导入政策")
    before = _state(pl)
    pl.status, pl.submitted_by, pl.submitted_at = ListStatus.SUBMITTED, actor, timezone.now()
    pl.save(update_fields=["status", "submitted_by", "submitted_at"])
    due = catalogue_dates(pl.county_code, pl.year)["departments_due"]
    day = _today(today)
    late = f"（已超过报送期限{due.month}月{due.day}日）" if day > due else ""
    record(actor, "policy_list.submit", pl, before=before, after={**_state(pl), "late": bool(late)},
           division_code=pl.county_code)
    return Result(pl, f"已报送{pl}{late}")


@transaction.atomic
def reopen_list(actor, policy_list: PolicyList) -> Result:
    """The department takes its submitted list back to change it (撤回修改)."""
    pl = lock_list(policy_list)
    require_role(actor, DEPARTMENT_ROLES, "撤回部门政策清单", WHY)
    if pl.kind != ListKind.DEPARTMENT:
        fail("__all__", "只有部门政策清单可以撤回修改")
    if actor.department != pl.department:
        raise PermissionDenied(f"只能撤回本部门（{actor.department or '未设置部门'}）的政策清单，该清单属于{pl.department}")
    require_area(actor, pl.county_code, "该政策清单不在您的管辖范围内")
    if pl.status != ListStatus.SUBMITTED:
        fail("__all__", f"{pl}尚未报送，无需撤回")
    before = _state(pl)
    pl.status = ListStatus.DRAFT
    pl.save(update_fields=["status"])
    record(actor, "policy_list.reopen", pl, before=before, after=_state(pl), division_code=pl.county_code)
    return Result(pl, f"已撤回{pl}，修改后请重新报送")


# --- the county catalogue -----------------------------------------------------------------------------


def _copy_fields(p: Policy) -> dict:
    return {f: getattr(p, f) for f in POLICY_FIELDS}


@transaction.atomic
def compile_catalogue(actor, year, *, today: dt.date | None = None) -> Result:
    """The county office compiles every submitted department list of ``year`` into a draft of the next
    catalogue version (an existing draft is compiled again: its policies are replaced)."""
    require_role(actor, COUNTY_ROLES, "汇总县级政策清单", WHY)
    county = _county(actor)
    year = _year(year, today)
    require_area(actor, county.code, "该县不在您的管辖范围内")
    Division.objects.select_for_update().filter(pk=county.pk).first()  # one compilation at a time per county
    sources = list(Policy.objects.filter(
        policy_list__county=county, policy_list__year=year, policy_list__kind=ListKind.DEPARTMENT,
        policy_list__status=ListStatus.SUBMITTED).order_by("policy_list__department", "position", "pk"))
    if not sources:
        fail("__all__", f"{year}年还没有部门报送政策清单，不能汇总")
    draft = PolicyList.objects.select_for_update().filter(county=county, year=year, kind=ListKind.CATALOGUE,
                                                           status=ListStatus.DRAFT).first()
    before = None
    if draft is None:
        last = PolicyList.objects.filter(county=county, year=year, kind=ListKind.CATALOGUE).aggregate(
            m=Max("version"))["m"] or 0
        draft = PolicyList.objects.create(
            county=county, county_code=county.code, year=year, kind=ListKind.CATALOGUE, version=last + 1,
            title=f"{year}年{county.name}防返贫帮扶政策清单", created_by=actor)
    else:
        if draft.policies.filter(measures__isnull=False).exists():
            fail("__all__", "草稿中的政策已被帮扶措施引用，不能重新汇总")
        before = _state(draft)
        draft.policies.all().delete()
    Policy.objects.bulk_create([Policy(policy_list=draft, position=i, origin=p, **_copy_fields(p))
                                for i, p in enumerate(sources, start=1)])
    departments = sorted({p.department for p in sources})
    record(actor, "catalogue.compile", draft, before=before,
           after={**_state(draft), "departments": departments}, division_code=county.code)
    return Result(draft, f"已汇总{len(departments)}个部门的{len(sources)}条政策，形成{draft}草稿")


@transaction.atomic
def publish_catalogue(actor, policy_list: PolicyList, *, today: dt.date | None = None) -> Result:
    """The county office publishes a catalogue draft; the previous published version is superseded."""
    require_role(actor, COUNTY_ROLES, "发布县级政策清单", WHY)
    pl = lock_list(policy_list)
    require_area(actor, pl.county_code, "该政策清单不在您的管辖范围内")
    if pl.kind != ListKind.CATALOGUE:
        fail("__all__", "部门政策清单不能直接发布：请先汇总为县级政策清单")
    if pl.status != ListStatus.DRAFT:
        fail("__all__", f"{pl}{pl.get_status_display()}，不能再次发布")
    if not pl.policies.exists():
        fail("__all__", "清单中没有政策，不能发布")
    before = _state(pl)
    previous = list(PolicyList.objects.select_for_update().filter(
        county_code=pl.county_code, year=pl.year, kind=ListKind.CATALOGUE, status=ListStatus.PUBLISHED))
    for old in previous:
        old.status = ListStatus.SUPERSEDED
        old.save(update_fields=["status"])
        record(actor, "catalogue.publish", old, before={"status": ListStatus.PUBLISHED},
               after={"status": ListStatus.SUPERSEDED, "superseded_by": pl.version}, division_code=pl.county_code)
    pl.status, pl.published_by, pl.published_at = ListStatus.PUBLISHED, actor, timezone.now()
    pl.save(update_fields=["status", "published_by", "published_at"])
    due = catalogue_dates(pl.county_code, pl.year)["county_due"]
    late = f"（已超过发布期限{due.month}月{due.day}日）" if _today(today) > due else ""
    record(actor, "catalogue.publish", pl, before=before,
           after={**_state(pl), "superseded": [o.version for o in previous], "late": bool(late)},
           division_code=pl.county_code)
    return Result(pl, f"已发布{pl}{late}")


# --- reminders (home page) ----------------------------------------------------------------------------


def pending_for(user, today: dt.date | None = None) -> list[dict]:
    """Reminders before and after the profile's dates: a department that has not submitted its list of
    the year; the county office while the year's catalogue is not published; village cadres, once it is
    published, until the villages' date."""
    if user is None or not user.is_authenticated:
        return []
    division = user.division
    if user.role in VILLAGE_ROLES and division is not None and division.level == Level.VILLAGE:
        return _village_reminder(user, division, _today(today))
    if user.role not in (*DEPARTMENT_ROLES, *COUNTY_ROLES) or division is None or division.level != Level.COUNTY:
        return []
    day = _today(today)
    try:
        dates = catalogue_dates(division.code, day.year)
    except ValidationError:
        return []
    items = []
    if user.role in DEPARTMENT_ROLES and user.department:
        due = dates["departments_due"]
        done = PolicyList.objects.filter(county_code=division.code, year=day.year, kind=ListKind.DEPARTMENT,
                                         department=user.department, status=ListStatus.SUBMITTED).exists()
        published = current_catalogue(division.code, day.year) is not None
        if not done and not published and day >= due - dt.timedelta(days=REMIND_DAYS_BEFORE):
            items.append({"title": f"报送{day.year}年{user.department}防返贫帮扶政策清单", "due": due,
                          "overdue": day > due, "url": reverse("assistance:catalogue_home")})
    if user.role in COUNTY_ROLES:
        due = dates["county_due"]
        if current_catalogue(division.code, day.year) is None and day >= dates["departments_due"] - dt.timedelta(
                days=REMIND_DAYS_BEFORE):
            submitted = PolicyList.objects.filter(county_code=division.code, year=day.year, kind=ListKind.DEPARTMENT,
                                                  status=ListStatus.SUBMITTED).count()
            expected = len(county_departments(division.code))
            items.append({"title": f"汇总发布{day.year}年县级防返贫帮扶政策清单（已报送{submitted}/{expected}个部门）",
                          "due": due, "overdue": day > due, "url": reverse("assistance:catalogue_home")})
    return items


def _village_reminder(user, village: Division, day: dt.date) -> list[dict]:
    """Villages make their assistance lists (帮扶清单) from the published catalogue by ``villages_due``:
    shown from the publication up to that day. The list itself is computed from the households'
    measures (R-AID-06), so there is no "done" to record: the reminder ends with the due date."""
    county_code = village.code[:6]
    published = current_catalogue(county_code, day.year)
    if published is None:
        return []
    try:
        due = catalogue_dates(county_code, day.year)["villages_due"]
    except ValidationError:
        return []
    if day > due:
        return []
    return [{"title": f"对照{day.year}年县级政策清单（第{published.version}版）制定本村帮扶清单", "due": due,
             "overdue": False, "url": reverse("assistance:catalogue_list", args=[published.pk])}]


def _pending(user):
    return pending_for(user)


def register() -> None:
    """Hooks of this part: pending actions (reminders of the profile's dates) and audit labels."""
    from fangpin.accounts.pending import PENDING_PROVIDERS
    from fangpin.audit.services import ACTION_LABELS

    if _pending not in PENDING_PROVIDERS:
        PENDING_PROVIDERS.append(_pending)
    ACTION_LABELS.update(ACTION_NAMES)
