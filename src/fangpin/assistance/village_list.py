"""The village assistance list (帮扶清单, R-AID-06, 000 附件2) per village and year.

Who is on it: every 脱贫户 (the profile's ``eligibility.formerly_poor_categories``) and every
monitored household (a monitored category of the profile, or a monitoring status of 监测中 / 风险已消除),
except a monitored household that is not a 脱贫户 and whose risk was eliminated before the list's
year (000 附件2 注), and except a monitored household (not a 脱贫户) first included after the year.

What each row says: head of household, household size (members living in it), the household type
(the category's name; "（风险已消除）" added once the risk is eliminated), the inclusion date, the risks,
and the measures the household receives that year: the measures of the national system (imported, one
per measure category) and the local measures carried out (已落实) or approved by a department (部门已同意)
whose year (or date carried out) is the list's year — grouped by measure category as 附件2 writes them:
"健康帮扶（参加城乡居民基本医疗保险、家庭医生签约）、教育帮扶（雨露计划）".

``rows`` reads a village with four set-based queries (households, members, measures, division names);
``write_xlsx`` streams rows into a constant-memory workbook in the 附件2 layout. The list of a whole
county (or township) is a background job of the one jobs mechanism (kind ``village_lists``): one
workbook, one sheet per village in the 附件2 layout, and a first sheet listing the villages and counts.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django_tasks import task

from fangpin import validation
from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import divisions_visible_to, get_visible, scope_filter
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import CODE_LENGTH, Division, Level
from fangpin.ingest.values import MULTI_SPLIT
from fangpin.jobs import services as background
from fangpin.jobs.kinds import JobKind
from fangpin.jobs.kinds import register as register_kind
from fangpin.jobs.models import Job
from fangpin.jobs.services import JobLost
from fangpin.policy.profiles import ProfileError
from fangpin.profiles.services import profile_for_county
from fangpin.profiles.services import today as local_today
from fangpin.validation import Errors

from .models import Measure, MeasureSource, MeasureStatus

log = logging.getLogger(__name__)

LIST_ROLES = (Role.COUNTY_OFFICE, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE)
AREA_EXPORT_ROLES = (Role.COUNTY_OFFICE, Role.TOWNSHIP_STAFF)
JOB_KIND = "village_lists"

TITLE_SUFFIX = "脱贫户和防贫监测对象帮扶清单"
COLUMNS = ("户主姓名", "家庭人口", "帮扶户类型", "纳入时间", "返贫/致贫风险", "户内享受帮扶措施")
NOTE = "注：仅统计脱贫户和防贫监测对象当年享受的政策，上年度已消除风险的监测对象（非脱贫户）不再建立帮扶清单。"
RECEIVED = (MeasureStatus.IN_PLACE, MeasureStatus.APPROVED)
VILLAGE_CODE_LENGTH = CODE_LENGTH[Level.VILLAGE]
ELIMINATED_MARK = "（风险已消除）"


class Row(NamedTuple):
    household_id: int
    number: str
    head_name: str
    size: int
    household_type: str
    included_on: str
    risks: str
    measures: str

    def cells(self) -> tuple:
        """The six 附件2 columns."""
        return (self.head_name, self.size, self.household_type, self.included_on, self.risks, self.measures)


# --- who is on the list ---------------------------------------------------------------------------------


def _categories(county_code: str) -> tuple[list[str], list[str], dict[str, str]]:
    """(脱贫户 categories, monitored categories, code → name) of the county's profile."""
    try:
        profile = profile_for_county(county_code)
        poor = list(profile.param("eligibility.formerly_poor_categories"))
        return poor, profile.monitored_categories(), profile.category_names()
    except ProfileError:
        return ["formerly_poor"], [], {}


def listed_households(code: str, year: int):
    """Households under the division ``code`` that belong on the list of ``year`` (one queryset)."""
    from fangpin.registry.models import Household, MonitoringStatus

    poor, monitored, _names = _categories(code[:6])
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    is_poor = Q(category__in=poor)
    is_monitored = Q(category__in=monitored) | Q(monitoring_status__in=[MonitoringStatus.MONITORED,
                                                                         MonitoringStatus.ELIMINATED])
    eliminated_before = Q(monitoring_status=MonitoringStatus.ELIMINATED, eliminated_on__lt=first)
    included_after = Q(included_on__gt=last)
    return (Household.objects.filter(prefix_q("division_code", code))
            .filter(is_poor | (is_monitored & ~eliminated_before & ~included_after)))


# --- rows ------------------------------------------------------------------------------------------------


def _measure_text(groups: dict[str, list[str]]) -> str:
    parts = []
    for category, items in groups.items():
        items = [i for i in dict.fromkeys(items) if i and i != category]
        parts.append(f"{category}（{'、'.join(items)}）" if items else category)
    return "、".join(parts)


SEPARATORS = re.compile(f"{MULTI_SPLIT}|,")


def _national_items(content: str) -> list[str]:
    """The items of a national measure cell: its original text split at the separators the national
    system uses for multi-select values (the same split the importer stores as ``items``; reading the
    text spares decoding a JSON column per row)."""
    return [p.strip() for p in SEPARATORS.split(content or "") if p.strip()]


def rows(village_code: str, year: int) -> list[Row]:
    """The list of one village for ``year``, set-based: households, members, measures — one query each,
    whatever the number of households."""
    return [row for _village, row in _rows_under(village_code, int(year))]


def _rows_under(code: str, year: int) -> list[tuple[str, Row]]:
    """(village code, row) of every listed household under the division ``code``, in village and
    household-number order: three queries (households, members, measures) for the whole division."""
    from fangpin.registry.models import Member, MonitoringStatus

    _poor, _monitored, names = _categories(code[:6])
    households = list(listed_households(code, year).order_by("division_code", "number").values_list(
        "pk", "number", "division_code", "category", "monitoring_status", "included_on", "risk_types"))
    if not households:
        return []
    inside = listed_households(code, year).values("pk")
    heads, sizes = {}, {}
    for hid, relation, name in (Member.objects.filter(household_id__in=inside, active=True)
                                .values_list("household_id", "relation", "name").iterator(chunk_size=5000)):
        sizes[hid] = sizes.get(hid, 0) + 1
        if relation == "户主" and hid not in heads:
            heads[hid] = name
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    received = (Q(source=MeasureSource.NATIONAL)
                | Q(source=MeasureSource.LOCAL, status__in=RECEIVED)
                & (Q(year=year) | Q(year__isnull=True, carried_out_on__range=(first, last))))
    measures: dict[int, dict[str, list[str]]] = {}
    for hid, source, category, content, policy_name in (
            Measure.objects.filter(received, household_id__in=inside)
            .order_by("household_id", "-source", "category", "pk")
            .values_list("household_id", "source", "category", "content", "policy__name")
            .iterator(chunk_size=5000)):
        entries = measures.setdefault(hid, {}).setdefault(category, [])
        if source == MeasureSource.NATIONAL:
            entries.extend(_national_items(content))
        else:
            entries.append(policy_name or content)
    out = []
    for hid, number, division_code, category, status, included_on, risk_types in households:
        kind = names.get(category, category)
        if status == MonitoringStatus.ELIMINATED:
            kind += ELIMINATED_MARK
        risks = "、".join(str(r) for r in (risk_types or []) if r) if isinstance(risk_types, list) else str(risk_types or "")
        out.append((division_code[:VILLAGE_CODE_LENGTH], Row(
            hid, number, heads.get(hid, ""), sizes.get(hid, 0), kind, f"{included_on:%Y-%m-%d}" if included_on else "",
            risks, _measure_text(measures.get(hid, {})))))
    return out


# --- the workbook ------------------------------------------------------------------------------------------


def title_for(village: Division) -> str:
    """"XX乡（镇）XX村脱贫户和防贫监测对象帮扶清单" with the township's and the village's names."""
    township = village.parent.name if village.parent_id else ""
    return f"{township}{village.name}{TITLE_SUFFIX}"


class _Formats:
    def __init__(self, wb):
        self.title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
        self.head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
        self.cell = wb.add_format({"border": 1, "valign": "top", "text_wrap": True, "num_format": "@"})
        self.number = wb.add_format({"border": 1, "valign": "top", "align": "center"})
        self.note = wb.add_format({"text_wrap": True})


def _write_sheet(ws, fmt: _Formats, rows_iter: Iterable[Row], title: str) -> int:
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 9)
    ws.set_column(2, 2, 16)
    ws.set_column(3, 3, 12)
    ws.set_column(4, 4, 22)
    ws.set_column(5, 5, 60)
    ws.merge_range(0, 0, 0, len(COLUMNS) - 1, title, fmt.title)
    for col, name in enumerate(COLUMNS):
        ws.write_string(1, col, name, fmt.head)
    row_no, written = 2, 0
    for row in rows_iter:
        head_name, size, kind, included_on, risks, measures = row.cells()
        ws.write_string(row_no, 0, head_name, fmt.cell)
        ws.write_number(row_no, 1, size, fmt.number)
        ws.write_string(row_no, 2, kind, fmt.cell)
        ws.write_string(row_no, 3, included_on, fmt.cell)
        ws.write_string(row_no, 4, risks, fmt.cell)
        ws.write_string(row_no, 5, measures, fmt.cell)
        row_no += 1
        written += 1
    ws.merge_range(row_no + 1, 0, row_no + 1, len(COLUMNS) - 1, NOTE, fmt.note)
    return written


def _sheet_name(name: str, used: set[str]) -> str:
    for bad in "[]:*?/\\":
        name = name.replace(bad, "")
    name = name[:31] or "Sheet"
    candidate, n = name, 2
    while candidate in used:
        suffix = f"({n})"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate)
    return candidate


def write_xlsx(rows_iter: Iterable[Row], out, village: Division, year: int) -> int:
    """One village's list in the 附件2 layout to ``out`` (a path or a binary file): title row, the six
    columns, one row per household, the 注 line. Returns the number of households written."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": not isinstance(out, str | Path)})
    ws = wb.add_worksheet(f"{int(year)}年帮扶清单")
    written = _write_sheet(ws, _Formats(wb), rows_iter, title_for(village))
    wb.close()
    return written


def get_village_for(user, pk) -> Division:
    """A village in the user's area by id; anything else is a 404 with one message."""
    return get_visible(Division.objects.filter(level=Level.VILLAGE).select_related("parent"), user, pk, field="code",
                       not_found="村不存在或不在您的管辖范围内")


def require_list_role(user, roles=LIST_ROLES) -> None:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("请先登录")
    if user.role not in roles:
        from fangpin.accounts.scoping import roles_text

        raise PermissionDenied(f"帮扶清单只能由{roles_text(roles)}查看和导出，您的角色是{user.role_label}")


def clean_year(value, default: int | None = None) -> int:
    errors = Errors()
    year = validation.integer(value, "year", "年度", errors, minimum=2016, maximum=local_today().year + 1,
                              required=default is None, default=default)
    errors.raise_if_any()
    return year


def village_rows_for(user, village, year) -> list[Row]:
    """The list of a village the user may see (404 outside the area, 403 for other roles)."""
    require_list_role(user)
    village = village if isinstance(village, Division) else get_village_for(user, village)
    if village.level != Level.VILLAGE or not divisions_visible_to(user).filter(pk=village.pk).exists():
        raise Http404("村不存在或不在您的管辖范围内")
    return rows(village.code, clean_year(year))


def export_village(user, village, year) -> bytes:
    """One village's list as XLSX bytes (≤ 2 s for a village)."""
    require_list_role(user)
    if not user.caps.export:
        raise PermissionDenied("您的角色不能导出数据")
    village = village if isinstance(village, Division) else get_village_for(user, village)
    data = village_rows_for(user, village, year)
    buffer = io.BytesIO()
    write_xlsx(data, buffer, village, year)
    return buffer.getvalue()


# --- the whole county (or township): a background job ------------------------------------------------------


def write_area(division: Division, year: int, out, progress=None) -> dict:
    """Every village under ``division`` in one workbook: a first sheet listing the villages (township,
    village, households on the list), then one sheet per village in the 附件2 layout. Read one township
    at a time (three queries each), so memory stays bounded by the largest township."""
    import xlsxwriter

    villages = list(Division.objects.filter(prefix_q("code", division.code), level=Level.VILLAGE)
                    .select_related("parent").order_by("code"))
    townships: dict[str, list[Division]] = {}
    for village in villages:
        townships.setdefault(village.parent.code if village.parent_id else village.code, []).append(village)
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": not isinstance(out, str | Path)})
    fmt = _Formats(wb)
    summary = wb.add_worksheet("目录")
    used = {"目录"}
    counts = []
    total = done = 0
    for township_code, members in townships.items():
        by_village: dict[str, list[Row]] = {}
        for village_code, row in _rows_under(township_code, year):
            by_village.setdefault(village_code, []).append(row)
        for village in members:
            data = by_village.get(village.code, [])
            if data:
                ws = wb.add_worksheet(_sheet_name(f"{village.parent.name if village.parent_id else ''}{village.name}", used))
                written = _write_sheet(ws, fmt, data, title_for(village))
                counts.append((village, written, ws.get_name()))
                total += written
            else:
                counts.append((village, 0, ""))
            done += 1
        if progress is not None:
            progress(min(99, done * 100 // max(1, len(villages))), f"已生成{done}/{len(villages)}个村")
    summary.write_string(0, 0, f"{division.name}{year}年{TITLE_SUFFIX}（各村目录）", fmt.title)
    for col, name in enumerate(("乡镇", "村", "列入户数", "工作表")):
        summary.write_string(1, col, name, fmt.head)
    for row_no, (village, written, sheet) in enumerate(counts, 2):
        summary.write_string(row_no, 0, village.parent.name if village.parent_id else "", fmt.cell)
        summary.write_string(row_no, 1, village.name, fmt.cell)
        summary.write_number(row_no, 2, written, fmt.number)
        summary.write_string(row_no, 3, sheet or "（无列入户）", fmt.cell)
    summary.set_column(0, 3, 16)
    wb.close()
    return {"villages": len(villages), "households": total}


def start_area_export(user, division, year) -> Job:
    """Queue the list of every village of ``division`` (the user's county or a township of it) for ``year``."""
    require_list_role(user, AREA_EXPORT_ROLES)
    if not user.caps.export:
        raise PermissionDenied("您的角色不能导出数据")
    if not isinstance(division, Division):
        division = get_visible(Division.objects.filter(level__in=[Level.COUNTY, Level.TOWNSHIP]), user, division,
                               field="code", not_found="区划不存在或不在您的管辖范围内")
    if division.level not in (Level.COUNTY, Level.TOWNSHIP) or not divisions_visible_to(user).filter(pk=division.pk).exists():
        raise Http404("区划不存在或不在您的管辖范围内")
    year = clean_year(year)
    with transaction.atomic():
        job = background.create(JOB_KIND, owner=user, scope_code=division.code, phase="等待生成")
        Job.objects.filter(pk=job.pk).update(result={"year": year, "division": division.code, "name": division.name})
        job.refresh_from_db()
        attempt = job.attempt
        transaction.on_commit(lambda: build_village_lists.enqueue(job.pk, attempt))
    return job


def jobs_visible_to(user):
    return scope_filter(Job.objects.filter(kind=JOB_KIND), user, "scope_code")


def get_job_for(user, pk) -> Job:
    return get_visible(Job.objects.filter(kind=JOB_KIND), user, pk, field="scope_code",
                       not_found="导出任务不存在或不在您的管辖范围内")


EXPORT_FAILED = "帮扶清单生成出错，未生成文件。请稍后重新导出；如仍出错，请联系系统管理员并告知任务编号{job}"


def partial_path(job: Job) -> Path:
    return Path(settings.MEDIA_ROOT) / "assistance" / "lists" / "partial" / f"{job.pk}.xlsx"


def file_path(job: Job) -> Path | None:
    name = (job.result or {}).get("file")
    return Path(settings.MEDIA_ROOT) / name if name else None


def run_area_export(job_id: int, *, attempt: int | None = None) -> Job:
    """The ``build_village_lists`` task: write the workbook, then mark the job done (a late or repeated
    task does nothing; a dead worker leaves only a partial file, removed when the job is interrupted)."""
    job = Job.objects.get(pk=job_id, kind=JOB_KIND)
    params = dict(job.result or {})
    if not background.claim(job, attempt):
        return job
    division = Division.objects.get(code=params["division"])
    year = int(params["year"])
    relative = Path("assistance") / "lists" / f"{timezone.now():%Y%m}" / f"{division.name}{year}年帮扶清单_{job.pk}.xlsx"
    target = Path(settings.MEDIA_ROOT) / relative
    partial = partial_path(job)
    with background.running(job) as report:
        try:
            report(1, "读取数据")
            partial.parent.mkdir(parents=True, exist_ok=True)
            counts = write_area(division, year, str(partial), progress=report)
            target.parent.mkdir(parents=True, exist_ok=True)
            with transaction.atomic():
                result = {**params, **counts, "file": str(relative)}
                if not background.finish(job, result=result, phase=f"已生成{counts['villages']}个村、{counts['households']}户"):
                    raise JobLost
                partial.replace(target)
        except JobLost:
            partial.unlink(missing_ok=True)
        except Exception:  # noqa: BLE001 - the user is told it failed; the reason goes to the operators' log
            log.exception("village list job %s failed", job.pk)
            partial.unlink(missing_ok=True)
            background.fail(job, EXPORT_FAILED.format(job=job.pk), result=params)
    job.refresh_from_db()
    return job


def _describe(job) -> str:
    params = job.result or {}
    return f"帮扶清单#{job.pk}（{params.get('name', job.scope_code)}{params.get('year', '')}年）"


def _interrupted(job) -> None:
    partial_path(job).unlink(missing_ok=True)


def register() -> None:
    register_kind(JobKind(JOB_KIND, "帮扶清单导出", describe=_describe, on_interrupted=_interrupted,
                          interrupted_message="{reason}，帮扶清单导出已中断，未生成文件；请重新导出"))


@task()
def build_village_lists(job_id: int, attempt: int | None = None) -> str:
    """Background task (``db_worker``): the lists of every village of a county or township."""
    return run_area_export(job_id, attempt=attempt).state
