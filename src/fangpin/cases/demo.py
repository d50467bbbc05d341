"""Demo identification cases for the demo county (registered in ``registry.demo.DEMO_STEPS``, run
after the demo leads): cases at every step of the county's identification procedure — some
overdue, some decided and waiting for their notice, in their notice period, past it, with an
objection — and some filed as monitored households or rejected, in the demo accounts' village and
township and in a few other townships, so each role has real work on first login.

The cases are driven through the engine's own services (``open_case``, ``act``, ``publish_notice``,
``close_notice``, ``record_objection`` …) with dates in the recent past, so steps, deadlines,
notices and the audit trail are consistent. About fifty cases (the services write one row at a
time, ~0.1 s a case on SQLite). The audit events they record carry the build's source (command
``build_demo``), so a forced rebuild of a county nobody else has worked in still wipes it
(``registry.demo.wipe_county`` unlinks those events from the wiped households and keeps them); an
event from anyone else (a page, the API, an import) still blocks the wipe.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef

from fangpin.accounts.models import User
from fangpin.accounts.roles import Role
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import Division, Level
from fangpin.policy.eligibility import category_allowed
from fangpin.policy.procedures import parse_procedure
from fangpin.profiles.services import profile_for_county
from fangpin.registry.models import Household, IncomeRecord, Member, MonitoringStatus

from . import services
from .models import Case, CaseStatus, Notice, NoticeEntry

# Plain staff who act in the townships the demo accounts do not cover (no password: they never log in).
STAFF_NAMES = ["韩立群", "鲍春生", "杨光明", "许文华", "陶建军", "葛玉兰", "任国强", "刘晓东", "朱红霞", "王德志"]
REASONS = [
    ("因病", "户主今年因病住院，自付医疗费用较高，家庭收入骤减"),
    ("因残", "家中主要劳动力意外致残，丧失劳动能力"),
    ("因学", "两个子女同时上大学，教育支出压力大"),
    ("因意外事故", "户主务工时受伤，长期住院治疗"),
    ("因自然灾害", "暴雨致房屋受损、农作物绝收"),
    ("因务工就业不稳", "夫妻二人所在工厂停产，半年无稳定收入"),
]
VERIFIERS = [("蔡永胜", "村党支部书记"), ("周红梅", "村监委会主任"), ("李卫东", "驻村工作队"), ("孙立新", "乡镇包村干部")]
# What a cohort stops at: a variant of the step it stops at.
PENDING, PENDING_LATE, DECIDED, IN_NOTICE, EXPIRED, OBJECTION, FILED, FILED_NEW, REJECTED = (
    "pending", "pending_late", "decided", "in_notice", "expired", "objection", "filed", "filed_new", "rejected")
FILED_COHORT = 3  # households filed together (one announcement); the last still waits for its system entry


@dataclass
class Area:
    village: str
    actor: User  # village-level steps (application, verification, deliberation, village decision)
    township: User  # township steps
    households: list = field(default_factory=list)


def _staff(code: str, township: Division, n: int) -> User:
    username = f"staff{township.code}"
    user = User.objects.filter(username=username).first() or User(username=username)
    user.role, user.division, user.display_name = Role.TOWNSHIP_STAFF, township, STAFF_NAMES[n % len(STAFF_NAMES)]
    user.is_active = True
    if not user.pk:
        user.set_unusable_password()
    user.save()
    return user


def _candidates(code: str, limit: int, year: int) -> list[int]:
    """Households of a village (or grid) without a case yet, not monitored, with the lowest per-capita
    incomes of ``year`` (those who apply; their income is on record for the assessment)."""
    incomes = IncomeRecord.objects.filter(prefix_q("household__division_code", code), year=year,
                                          household__monitoring_status=MonitoringStatus.NONE)
    ids = (incomes.exclude(Exists(Case.objects.filter(household=OuterRef("household_id"))))
           .order_by("per_capita_net_income", "household_id").values_list("household_id", flat=True))
    return list(dict.fromkeys(ids))[:limit]


def _plans(proc, local: bool, rng: random.Random) -> list[tuple[str, str, str | None]]:
    """(step key, variant, step rejected at) cohorts of one case each (a filed cohort of three): every
    step and variant for the demo village, a few for the other villages."""
    plans = []
    for step in proc.steps[1:]:
        variants = [DECIDED, IN_NOTICE, EXPIRED, OBJECTION] if step.has_notice else [PENDING, PENDING_LATE]
        plans += [(step.key, v, None) for v in variants]
    if not local:
        plans = rng.sample(plans, min(3, len(plans)))
    rejected = [s.key for s in proc.steps if s.kind in ("verification", "deliberation")]
    plans += [("", REJECTED, key) for key in (rejected if local else rng.sample(rejected, 1))]
    if local:  # and one filed a few days ago, not yet entered in the national system nor announced
        plans += [("", REJECTED, "objection"), ("", FILED_NEW, None)]
    plans.append(("", FILED, None))
    return plans


class Driver:
    def __init__(self, county: Division, proc, profile, as_of: dt.date, rng: random.Random, county_user: User):
        self.proc, self.profile, self.as_of, self.rng = proc, profile, as_of, rng
        self.county_user = county_user
        self.monitored = profile.monitored_categories()
        self.cases = 0
        self.grid_user = None

    # --- payloads -------------------------------------------------------------------------------

    def application(self, hh: Household, day: dt.date) -> dict | None:
        head = Member.objects.filter(household=hh, relation="户主", active=True).first()
        category = next((c for c in self.monitored if category_allowed(self.profile.data, c, hh.category)), None)
        if head is None or category is None:
            return None
        risk, reason = self.rng.choice(REASONS)
        return {"applicant_id": head.pk, "application_date": day.isoformat(), "reasons": reason,
                "risk_types": [risk], "category": category, "consent_signed": True, "consent_date": day.isoformat(),
                "long_resident": True, "medical_expense": str(self.rng.choice([8000, 15000, 26000, 42000])),
                "other_rigid_expense": str(self.rng.choice([0, 3000, 6000])), "can_repair_house": False}

    def payload(self, step, case: Case, day: dt.date, reject: bool = False) -> dict:
        d = day.isoformat()
        if step.kind == "verification":
            people = self.rng.sample(VERIFIERS, max(2, step.min_verifiers or 2))
            data = {"verifiers": [{"name": n, "unit": u} for n, u in people], "visit_date": d,
                    "findings": "两人同行入户核实：" + case.reasons + "，家庭收支与申报基本一致",
                    "outcome": "reject" if reject else "pass",
                    "override_note": "核查组入户核实，刚性支出超过家庭承受能力，存在返贫致贫风险"}
            if reject:
                data["reason"] = "入户核实发现家庭有稳定务工收入，人均纯收入明显高于监测范围"
            return data
        if step.kind == "deliberation":
            data = {"meeting_date": d, "minutes": "与会人员逐项评议申请户家庭情况", "attendees": "村民代表、党员、村干部"}
            present_total = 0
            for g, (exp, pres) in zip(self.profile.param("deliberation.participant_groups"),
                                      [(11, 9), (5, 4), (5, 5), (3, 3)], strict=False):
                data[f"expected_{g['code']}"], data[f"present_{g['code']}"] = exp, pres
                present_total += pres
            data["approvals"] = 2 if reject else present_total - self.rng.choice([0, 1, 2])
            return data
        if step.kind == "cross_check":
            data = {"checked_on": d, "source": "manual"}
            for item in self.profile.param("cross_check.items"):
                data[f"result_{item['code']}"] = "none"
            return data
        data = {"meeting_date": d, "decision": "reject" if reject else "approve", "note": "会议研究同意"}
        if reject:
            data["reason"] = "经研究，该户家庭收入稳定，不符合监测对象识别标准"
        return data

    # --- a cohort of cases in one area, in lockstep ----------------------------------------------

    def span(self, stop: str, variant: str, gaps: list[int]) -> int:
        """Days from the application to the cohort's last action (dry run of ``run``)."""
        day = 0
        for i, step in enumerate(self.proc.steps[1:]):
            if step.key == stop and variant in (PENDING, PENDING_LATE):
                return day
            day += gaps[i]
            if step.has_notice:
                if step.key == stop and variant == DECIDED:
                    return day
                if step.key == stop and variant in (IN_NOTICE, OBJECTION):
                    return day + (1 if variant == OBJECTION else 0)
                day += step.notice_days
                if step.key == stop and variant == EXPIRED:
                    return day - 1
        return day

    def run(self, area: Area, ids: list[int], stop: str, variant: str, reject_one: str | None):
        gaps = [self.rng.choice([1, 1, 2, 3]) for _ in self.proc.steps]
        if variant == PENDING_LATE:
            lag = self.rng.randint(8, 20)
        elif variant == EXPIRED:
            lag = self.rng.randint(1, 4)
        elif variant in (IN_NOTICE, OBJECTION):
            lag = 0
        elif variant == FILED:
            lag = self.rng.randint(8, 40)
        elif variant == FILED_NEW:
            lag = self.rng.randint(2, 4)
        else:
            lag = self.rng.randint(0, 1)
        day = self.as_of - dt.timedelta(days=self.span(stop, variant, gaps) + lag)
        if variant in (IN_NOTICE, OBJECTION):  # published a couple of days ago, period still running
            day -= dt.timedelta(days=min(2, self.proc.step(stop).notice_days - 1))
        cases = []
        for hid in ids:
            hh = Household.objects.get(pk=hid)
            data = self.application(hh, day)
            if data is None:
                continue
            opener = self.grid_user if self.grid_user and hh.division_code == self.grid_user.division.code else area.actor
            cases.append(services.open_case(opener, hh, application=data, today=day).case)
        self.cases += len(cases)
        opened = list(cases)
        for i, step in enumerate(self.proc.steps[1:]):
            cases = [c for c in cases if c.status == CaseStatus.OPEN]
            if not cases or (step.key == stop and variant in (PENDING, PENDING_LATE)):
                return
            day += dt.timedelta(days=gaps[i])
            actor = self.actor_for(step, area)
            for case in cases:
                reject = reject_one == step.key
                services.act(actor, case, step.key, self.payload(step, case, day, reject), today=day)
                case.refresh_from_db()
            cases = [c for c in cases if c.status == CaseStatus.OPEN]
            if step.has_notice and cases:
                if step.key == stop and variant == DECIDED:
                    return
                notice = services.publish_notice(actor, step.key, cases, starts_on=day, today=day)
                if step.key == stop and variant == IN_NOTICE:
                    return
                if step.key == stop and variant == OBJECTION:
                    services.record_objection(actor, cases[0], content="群众反映该户家中有人在外地务工，收入较高",
                                              received_on=day + dt.timedelta(days=1),
                                              raised_by="匿名", today=day + dt.timedelta(days=1))
                    return
                day = notice.ends_on + dt.timedelta(days=1)
                if step.key == stop and variant == EXPIRED:
                    return
                if reject_one == "objection":
                    objection = services.record_objection(
                        actor, cases[0], content="群众反映该户子女在城区有商品房和车辆", received_on=notice.starts_on,
                        raised_by="本组村民", today=notice.starts_on)
                    services.resolve_objection(actor, objection, outcome="upheld",
                                               resolution="经核实异议属实，该户不符合识别标准", today=day)
                    reject_one = None
                services.close_notice(actor, notice, today=day)
                for case in cases:
                    case.refresh_from_db()
        filed = [c for c in opened if c.status == CaseStatus.FILED and variant == FILED]
        for n, case in enumerate(filed):
            if n % 3 != 2:  # the last of three still waits for its entry in the national system
                services.record_system_entry(self.county_user, case, entered_on=case.filed_on,
                                             today=case.filed_on + dt.timedelta(days=1))
        if len(filed) > 1:  # announced; a single filed household still waits for its announcement
            services.publish_notice(self.county_user, self.proc.steps[-1].key, filed, starts_on=day, today=day)

    def actor_for(self, step, area: Area) -> User:
        for user in (area.actor, area.township, self.county_user):
            if user.role in step.roles:
                return user
        raise ValueError(step.key)


def wipe_orphan_notices(county_code: str) -> int:
    """Notices of a demo county being rebuilt: the county's wipe removed their cases and entries (a
    notice names its division by code, not by a reference the wipe follows)."""
    notices = Notice.objects.filter(prefix_q("division_code", county_code)).exclude(
        Exists(NoticeEntry.objects.filter(notice=OuterRef("pk"))))
    Notice.history.model.objects.filter(id__in=notices.values("pk"))._raw_delete(Notice.objects.db)
    return notices._raw_delete(Notice.objects.db)


def build_demo_cases(county: Division, as_of: dt.date, seed: int) -> int:
    """Demo identification cases for ``county`` as of ``as_of``; returns how many cases were opened."""
    rng = random.Random(seed * 7919 + 20)
    code = county.code
    wipe_orphan_notices(code)
    profile = profile_for_county(code)
    proc = parse_procedure(profile.data, "identification")
    users = {u.username: u for u in User.objects.filter(username__in=["county", "township", "cadre", "grid"])
             .select_related("division")}
    county_user, township_user, cadre = users.get("county"), users.get("township"), users.get("cadre")
    if not (county_user and township_user and cadre) or not cadre.division.code.startswith(code):
        return 0
    driver = Driver(county, proc, profile, as_of, rng, county_user)
    grid = users.get("grid")
    grid_code = grid.division.code if grid and grid.division.level == Level.GRID else ""
    driver.grid_user = grid if grid_code else None
    areas: list[tuple[Area, bool]] = [(Area(cadre.division.code, cadre, township_user), True)]
    villages = list(Division.objects.filter(prefix_q("code", code), level=Level.VILLAGE).order_by("code")
                    .values_list("code", flat=True))
    same_township = [v for v in villages if v.startswith(township_user.division.code) and v != cadre.division.code]
    for v in rng.sample(same_township, min(2, len(same_township))):
        areas.append((Area(v, township_user, township_user), False))
    townships = list(Division.objects.filter(prefix_q("code", code), level=Level.TOWNSHIP)
                     .exclude(code=township_user.division.code).order_by("code"))
    for n, township in enumerate(rng.sample(townships, min(2, len(townships)))):
        staff = _staff(code, township, n)
        mine = [v for v in villages if v.startswith(township.code)]
        for v in rng.sample(mine, min(1, len(mine))):
            areas.append((Area(v, staff, staff), False))
    for area, local in areas:
        plans = _plans(proc, local, rng)
        size = len(plans) + FILED_COHORT - 1
        pool = (_candidates(grid_code, 3, as_of.year - 1) if local and grid_code else [])
        pool += [h for h in _candidates(area.village, size, as_of.year - 1) if h not in pool]
        for stop, variant, rejected_at in plans:
            n = FILED_COHORT if variant == FILED else 1
            ids, pool = pool[:n], pool[n:]
            if ids:
                driver.run(area, ids, stop, variant, rejected_at)
    return driver.cases


build_demo_cases.demo_order = 10  # after the demo leads: their cases' households are not taken again
