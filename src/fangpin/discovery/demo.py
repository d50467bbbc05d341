"""Demo leads for the demo county (registered in ``registry.demo.DEMO_STEPS``): leads from every
channel in every state — some overdue, some flagged serious, some verified with an identification
case opened from them — so each demo role has real work on first login.

Set-based: households are sampled from one query, leads, reports, cases and their first steps are
written with ``bulk_create``; deadlines come from the profile and the one calendar, as the services
compute them. No audit events are written per household (the demo build records one event for the
county), so a rebuilt demo county can still be wiped.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.db.models import Q

from fangpin.accounts.models import User
from fangpin.accounts.roles import Role
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import Division, Level
from fangpin.cases import services as case_services
from fangpin.cases.models import Case, CaseSequence, CaseSource, CaseStatus, CaseStep, StepStatus
from fangpin.policy.idnumbers import make_id_number
from fangpin.policy.procedures import parse_procedure
from fangpin.profiles.services import profile_for_county, working_calendar
from fangpin.registry.models import Household, Member, MonitoringStatus

from .models import (
    PUBLIC_CHANNELS,
    Channel,
    Lead,
    LeadAttachment,
    LeadReport,
    LeadState,
    Outcome,
    SeriousKind,
)
from .services import REFERENCE_PREFIX, lead_params

STATES = [s for s, _ in LeadState.choices]
# Channels found at county level go to a township first (dispatch); the others arrive below.
COUNTY_CHANNELS = (Channel.DEPARTMENT_WARNING, Channel.HOTLINE_12317, Channel.HOTLINE_12345, Channel.PETITION,
                   Channel.INSPECTION, Channel.HIGHER_FEEDBACK, Channel.PUBLIC_OPINION, Channel.ONLINE_PLATFORM)
DESCRIPTIONS = {
    "因病": ["户主突发脑梗住院，自付医疗费用较高", "家中老人确诊恶性肿瘤，需长期化疗", "孩子患白血病在省城治疗"],
    "因残": ["户主务工时受伤致残，失去劳动能力", "家中新增重度残疾人员，需专人照料"],
    "因学": ["两个孩子同时上大学，学费生活费压力大", "孩子考上高职，家庭无力负担费用"],
    "因自然灾害": ["暴雨致房屋部分倒塌，农作物绝收", "冰雹导致果园大面积受损"],
    "因意外事故": ["家中主要劳动力车祸身亡", "户主务工坠落受伤，长期住院"],
    "因产业项目失败": ["养殖的生猪发生疫病，损失严重", "种植的中药材价格暴跌，投入无法收回"],
    "因务工就业不稳": ["夫妻二人所在工厂停产，半年无收入", "户主外出务工被拖欠工资"],
    "缺劳动力": ["子女均在外地，两位老人年老体弱无劳动力"],
    "因安全住房": ["房屋墙体开裂，经鉴定为危房"],
    "因安全饮水": ["水源井干涸，饮水需到外村拉运"],
}
SOURCES = {
    Channel.DEPARTMENT_WARNING: ["医保局大额医疗费用预警", "民政局低保申请未批名单比对", "残联新增残疾人名单"],
    Channel.HOTLINE_12317: ["12317热线工单", "12317热线来电"],
    Channel.HOTLINE_12345: ["12345政务服务热线转办件"],
    Channel.PETITION: ["县信访局转来信访件", "群众来访登记"],
    Channel.INSPECTION: ["省级后评估反馈问题", "县委巡察反馈问题"],
    Channel.HIGHER_FEEDBACK: ["市乡村振兴局反馈清单", "省防返贫监测平台推送"],
    Channel.PUBLIC_OPINION: ["网络舆情监测", "本地论坛帖子"],
    Channel.ONLINE_PLATFORM: ["“防返贫”小程序留言", "县政府网站留言"],
    Channel.SELF_DECLARATION: ["农户到村委会申报"],
    Channel.VISIT: ["网格员日常走访", "村干部入户排查"],
    Channel.QR_SELF_DECLARATION: ["村委会公示栏二维码"],
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建华", "秀兰", "志强", "桂英", "国庆", "玉梅", "海涛", "春燕", "明亮", "凤英"]
VERIFIERS = [("孙立新", "乡镇包村干部"), ("蔡永胜", "村党支部书记"), ("周红梅", "村监委会主任"), ("李卫东", "驻村工作队")]


def _reserve(prefix: str, scope: str, year: int, n: int) -> int:
    """Reserve ``n`` numbers of a yearly series at once; returns the first."""
    CaseSequence.objects.get_or_create(prefix=prefix, scope_code=scope, year=year)
    seq = CaseSequence.objects.select_for_update().get(prefix=prefix, scope_code=scope, year=year)
    first = seq.last + 1
    seq.last += n
    seq.save(update_fields=["last"])
    return first


def possible_pairs() -> list[tuple[str, str]]:
    """(channel, state) pairs that can happen: a QR self-declaration arrives at its village, never at the county."""
    return [(c, s) for c in Channel.values for s in STATES
            if not (c in PUBLIC_CHANNELS and s == LeadState.AWAITING_DISPATCH)]


def _plan(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(channel, state) pairs: every possible pair once, then a realistic mix."""
    pairs = possible_pairs()
    rng.shuffle(pairs)
    weights = {LeadState.AWAITING_DISPATCH: 2, LeadState.AWAITING_VERIFICATION: 4,
               LeadState.AWAITING_CLOSING_REPORT: 2, LeadState.CASE_OPENED: 4, LeadState.CLOSED: 6}
    channel_weights = {Channel.VISIT: 8, Channel.SELF_DECLARATION: 4, Channel.DEPARTMENT_WARNING: 5,
                       Channel.QR_SELF_DECLARATION: 3}
    while len(pairs) < n:
        channel = rng.choices(Channel.values, [channel_weights.get(c, 1) for c in Channel.values])[0]
        state = rng.choices(STATES, [weights[s] for s in STATES])[0]
        if (channel, state) in possible_pairs():
            pairs.append((channel, state))
    return pairs


def wipe_demo_leads(county_code: str) -> int:
    """Leads of a demo county being rebuilt (the county's wipe unlinks them from its households)."""
    leads = Lead.objects.filter(prefix_q("division_code", county_code))
    LeadAttachment.objects.filter(lead__in=leads)._raw_delete(LeadAttachment.objects.db)
    LeadReport.objects.filter(lead__in=leads)._raw_delete(LeadReport.objects.db)
    Lead.history.model.objects.filter(id__in=leads.values("pk"))._raw_delete(Lead.objects.db)
    return leads._raw_delete(Lead.objects.db)


@transaction.atomic
def build_demo_leads(county: Division, as_of: dt.date, seed: int) -> int:
    """Demo leads for ``county`` as of ``as_of``; returns how many leads were written."""
    rng = random.Random(seed * 7919 + 10)
    code = county.code
    wipe_demo_leads(code)
    params = lead_params(code)
    profile = profile_for_county(code)
    proc = parse_procedure(profile.data, params["leads.opens_procedure"])
    calendar = working_calendar()
    users = {u.username: u for u in User.objects.filter(division__code__startswith=code)}
    by_role = {}
    for u in users.values():
        by_role.setdefault(u.role, u)
    cadre = by_role.get(Role.VILLAGE_CADRE)
    township_user = by_role.get(Role.TOWNSHIP_STAFF)
    grid_user = by_role.get(Role.GRID_WORKER)

    rows = list(Household.objects.filter(prefix_q("division_code", code),
                                         monitoring_status=MonitoringStatus.NONE)
                .values_list("id", "division_code", "village_id"))
    if not rows:
        return 0
    total = max(80, min(2000, len(rows) // 120))
    # The demo accounts' own village and grid get a share, so each role has work on first login.
    first_village = cadre.division.code if cadre and cadre.division_id else rows[0][1][:12]
    first_grid = grid_user.division.code if grid_user and grid_user.division_id else ""
    local = [r for r in rows if r[1].startswith(first_village)]
    grid_rows = [r for r in local if first_grid and r[1].startswith(first_grid)]
    rng.shuffle(local)
    picked = grid_rows[:8] + [r for r in local[:40] if r not in grid_rows[:8]]
    taken = {r[0] for r in picked}
    rest = [r for r in rows if r[0] not in taken]
    picked += rng.sample(rest, min(len(rest), total - len(picked)))
    heads = dict(Member.objects.filter(household_id__in=[r[0] for r in picked], relation="户主", active=True)
                 .values_list("household_id", "name"))
    # A few people not in the registry yet (their household is created only after verification).
    villages = list(Division.objects.filter(prefix_q("code", code), level=Level.VILLAGE).values_list("code", flat=True))
    strangers = []
    used = set()
    for i in range(max(6, total // 40)):
        birth = dt.date(1960 + rng.randrange(40), 1 + rng.randrange(12), 1 + rng.randrange(28))
        strangers.append((make_id_number(code, birth, 700 + i, rng.random() < 0.5),
                          rng.choice(SURNAMES) + rng.choice(GIVEN),
                          first_village if i < 3 else rng.choice(villages)))
    taken_ids = set(Member.objects.filter(id_number__in=[s[0] for s in strangers]).values_list("id_number", flat=True))
    strangers = [s for s in strangers if s[0] not in taken_ids and not (s[0] in used or used.add(s[0]))]

    subjects = [("h", r) for r in picked] + [("p", s) for s in strangers]
    # The demo village's leads cover every state first (its cadre, township and grid worker see them),
    # then every possible channel × state pair once, then a realistic mix.
    local_plan = [(rng.choice([c for c in Channel.values if c not in COUNTY_CHANNELS]), s) for s in STATES * 3]
    plan = local_plan + _plan(len(subjects) - len(local_plan), rng)

    leads, reports, extra_reports = [], [], []
    risk_values = list(DESCRIPTIONS)
    n_reports = len(subjects) + len(subjects) // 8
    first_no = _reserve(REFERENCE_PREFIX, code, as_of.year, n_reports)
    numbers = iter(range(first_no, first_no + n_reports))

    def reference():
        ref = f"{REFERENCE_PREFIX}-{code}-{as_of.year}-{next(numbers):06d}"
        return ref, case_services.check_code_for(ref)

    def due(state, start):
        key = {"dispatch": "deadlines.lead_to_township_days", "verify": "deadlines.lead_verification_days",
               "report": "deadlines.lead_closing_report_days"}.get(state)
        if key is None:
            return None, []
        result = calendar.add(start, int(params[key]), params["leads.day_unit"])
        return result.due, list(result.warnings)

    case_rows = []
    for (kind, subject), (channel, state) in zip(subjects, plan, strict=False):
        if kind == "h":
            hid, division_code, _village = subject
            person = {"household_id": hid, "person_name": heads.get(hid, ""), "person_id_number": ""}
        else:
            number, name, division_code = subject
            person = {"household_id": None, "person_name": name, "person_id_number": number,
                      "person_phone": f"139{rng.randrange(10**8):08d}", "address": "村内"}
            if state == LeadState.CASE_OPENED:
                state = LeadState.AWAITING_VERIFICATION  # not registered yet: verified persons became households
        county_found = channel in COUNTY_CHANNELS
        risk = rng.choice(risk_values)
        age = {LeadState.AWAITING_DISPATCH: rng.randrange(0, 4), LeadState.AWAITING_VERIFICATION: rng.randrange(0, 5),
               LeadState.AWAITING_CLOSING_REPORT: rng.randrange(1, 6), LeadState.CASE_OPENED: rng.randrange(4, 45),
               LeadState.CLOSED: rng.randrange(4, 90)}[state]
        raised = as_of - dt.timedelta(days=age)
        discovered = raised - dt.timedelta(days=rng.randrange(0, 3))
        reporter = {Channel.VISIT: grid_user or cadre, Channel.SELF_DECLARATION: cadre,
                    Channel.DEPARTMENT_WARNING: by_role.get(Role.DEPARTMENT_OFFICER)}.get(
            channel, None if channel in PUBLIC_CHANNELS else (by_role.get(Role.COUNTY_OFFICE) if county_found else cadre))
        ref, check = reference()
        lead = Lead(
            reference=ref, check_code=check, channel=channel, source_detail=rng.choice(SOURCES[channel]),
            reporter=reporter, reporter_name=str(reporter) if reporter else person["person_name"],
            origin_code=(code if county_found else (reporter.division.code if reporter and reporter.division_id
                                                   else division_code)) if channel not in PUBLIC_CHANNELS else "",
            division_code=division_code, risk_types=[risk], description=rng.choice(DESCRIPTIONS[risk]),
            discovered_on=discovered, raised_on=raised, params=params, state=state, clock_started_on=raised,
            person_phone=person.get("person_phone", ""), address=person.get("address", ""),
            household_id=person["household_id"], person_name=person["person_name"],
            person_id_number=person["person_id_number"],
        )
        if state == LeadState.AWAITING_DISPATCH and not county_found:
            lead.origin_code = code
        verify_start = raised
        if county_found or state == LeadState.AWAITING_DISPATCH:
            if state != LeadState.AWAITING_DISPATCH:
                lead.dispatched_on = min(as_of, raised + dt.timedelta(days=rng.choice([0, 1, 1, 2])))
                lead.dispatched_by = by_role.get(Role.COUNTY_OFFICE)
                verify_start = lead.dispatched_on
        if division_code.startswith(first_village) and state in (LeadState.AWAITING_VERIFICATION,):
            lead.assignee = cadre
        if state == LeadState.AWAITING_DISPATCH:
            lead.current_due_on, lead.due_warnings = due(state, raised)
        elif state == LeadState.AWAITING_VERIFICATION:
            lead.clock_started_on = verify_start
            lead.current_due_on, lead.due_warnings = due(state, verify_start)
        else:
            visited = min(as_of, verify_start + dt.timedelta(days=rng.choice([0, 1, 1, 2, 3])))
            lead.visited_on = lead.verified_on = visited
            lead.verified_by = township_user or cadre
            lead.verifiers = [dict(name=n, unit=u) for n, u in rng.sample(VERIFIERS, 2)]
            lead.findings = "两人同行入户核实：" + lead.description + ("，情况属实" if state == LeadState.CASE_OPENED
                                                                   else "，经核实已得到妥善解决")
            if state == LeadState.CASE_OPENED:
                lead.outcome = Outcome.OPEN_CASE
                case_rows.append((lead, visited))
            else:
                lead.outcome = Outcome.NOT_ELIGIBLE
                lead.close_reason = rng.choice(["医保报销后自付费用较少，家庭收入稳定", "子女已就业，收入高于监测范围",
                                                "反映情况与实际不符", "已通过临时救助解决，无返贫风险"])
                lead.clock_started_on = visited
                if state == LeadState.AWAITING_CLOSING_REPORT:
                    lead.current_due_on, lead.due_warnings = due(state, visited)
                else:
                    lead.closed_on = min(as_of, visited + dt.timedelta(days=rng.choice([0, 1, 1, 2])))
                    lead.closed_by = township_user
        if state in (LeadState.AWAITING_VERIFICATION, LeadState.CASE_OPENED) and rng.random() < 0.08:
            flagged = lead.verified_on or raised
            lead.serious_kind = rng.choice([SeriousKind.INDIVIDUAL, SeriousKind.INDIVIDUAL, SeriousKind.SCALE])
            lead.serious_note = "情况较严重，需会同县级行业部门共同调查"
            lead.serious_departments = rng.choice(["医保局", "民政局", "应急管理局、住建局", "人社局"])
            lead.serious_flagged_on, lead.serious_flagged_by = flagged, township_user
            result = calendar.add_working_days(flagged, int(params["deadlines.serious_risk_report_working_days"]))
            lead.serious_report_due_on, lead.serious_due_warnings = result.due, list(result.warnings)
            if rng.random() < 0.5 and result.due <= as_of:
                lead.serious_reported_on = result.due
                lead.serious_report = "已会同县级部门调查，情况已告知县乡村振兴局"
        leads.append(lead)
        reports.append(LeadReport(reference=ref, check_code=check, channel=channel, source_detail=lead.source_detail,
                                  reporter=reporter, reporter_name=lead.reporter_name, risk_types=[risk],
                                  description=lead.description, discovered_on=discovered, reported_on=raised))
        if lead.state in (LeadState.AWAITING_DISPATCH, LeadState.AWAITING_VERIFICATION) and rng.random() < 0.12:
            other = rng.choice([c for c in Channel.values if c != channel])
            extra_reports.append((len(leads) - 1, other))
    Lead.objects.bulk_create(leads, batch_size=500)
    for lead, report in zip(leads, reports, strict=True):
        report.lead = lead
    for index, channel in extra_reports:
        lead = leads[index]
        ref, check = reference()
        reports.append(LeadReport(lead=lead, reference=ref, check_code=check, channel=channel,
                                  source_detail=rng.choice(SOURCES[channel]), reporter_name="群众反映",
                                  risk_types=list(lead.risk_types), description="再次反映：" + lead.description,
                                  discovered_on=lead.discovered_on, reported_on=min(as_of, lead.raised_on +
                                                                                     dt.timedelta(days=1)),
                                  merged=True))
    LeadReport.objects.bulk_create(reports, batch_size=500)
    _open_cases(case_rows, proc, profile, code, as_of)
    return len(leads)


def _open_cases(case_rows, proc, profile, county_code: str, as_of: dt.date) -> None:
    """Identification cases opened from the verified leads, at their first step (as ``open_case`` does)."""
    if not case_rows:
        return
    calendar = working_calendar()
    first_no = _reserve(proc.reference_prefix, profile.county_code, as_of.year, len(case_rows))
    cases = []
    due_warnings = {}
    first = proc.first
    definition = proc.as_dict()
    for i, (lead, opened) in enumerate(case_rows):
        reference = f"{proc.reference_prefix}-{profile.county_code}-{as_of.year}-{first_no + i:06d}"
        total = calendar.add(lead.discovered_on, proc.total_days, proc.total_unit)
        step_due = case_services.step_due(first, opened)
        due_warnings[reference] = step_due.warnings if step_due else ()
        cases.append(Case(
            reference=reference, check_code=case_services.check_code_for(reference), procedure=proc.key,
            procedure_name=proc.name, procedure_def=definition, profile_key=profile.key,
            profile_version=profile.version, household_id=lead.household_id, division_code=lead.division_code,
            source=CaseSource.LEAD, lead_ref=lead.reference, lead_note=lead.description[:300],
            discovered_on=lead.discovered_on, opened_on=opened, opened_by=lead.verified_by,
            overall_due_on=total.due, overall_due_warnings=list(total.warnings), status=CaseStatus.OPEN,
            current_step=first.key, current_due_on=step_due.due if step_due else None))
    Case.objects.bulk_create(cases, batch_size=500)
    steps = []
    for case, (_lead, opened) in zip(cases, case_rows, strict=True):
        steps.append(CaseStep(case=case, position=0, key=first.key, kind=first.kind, name=first.name, attempt=1,
                              status=StepStatus.CURRENT, started_on=opened, due_on=case.current_due_on,
                              due_warnings=list(due_warnings[case.reference])))
    CaseStep.objects.bulk_create(steps, batch_size=500)
    for lead, case in zip((r[0] for r in case_rows), cases, strict=True):
        lead.case = case
    Lead.objects.bulk_update([r[0] for r in case_rows], ["case"], batch_size=500)


def demo_lead_counts(county_code: str) -> dict:
    qs = Lead.objects.filter(prefix_q("division_code", county_code))
    return {"leads": qs.count(), "channels": qs.values("channel").distinct().count(),
            "cases": qs.filter(~Q(case=None)).count()}
