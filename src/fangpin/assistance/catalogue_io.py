"""Policy lists in and out in the 000 附件1 layout (R-AID-01).

Import: a file (Excel or CSV) is read through the ingest toolkit (header row found by content below the
title rows, aliases as data), checked row by row (row, column, Chinese reason) and shown as a preview
(dry run). Nothing is written until the officer confirms; the confirmation writes exactly what the
preview showed (the preview's digest covers the rows and the list they go into) or is refused, and it
writes in one transaction. A file with a missing required column, a title year that is not the list's
year or any refused row writes nothing.

What a row becomes:

- 帮扶政策 "1、以工代赈" → ``name`` 以工代赈 (the leading ordinal is the list's numbering, not the name);
- 部门、联系人及电话 "部门：发改局 联系人：X 办公电话：X 手机号码：X" → department, contact, office phone,
  mobile; the template's placeholders (X, XX, ×, —) count as not filled in (a warning);
- 帮扶类型 and 部门、联系人及电话 left empty under a filled row are the cells of a merged range and take the
  value above;
- 适用人群 / 适用人群条件 are kept as text, and the conditions that can safely be read from them are
  stored structured (``catalogue.derive_conditions``); kind and handler are derived (editable later).

Export: an .xlsx with the title row ("2026年濉溪县医保局防返贫帮扶政策清单") and the 附件1 header in its
exact column order, one row per policy numbered within its type.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from fangpin.audit.services import record
from fangpin.ingest import intake
from fangpin.ingest.contract import STALE, Digest
from fangpin.ingest.hashing import file_sha256
from fangpin.ingest.headers import Aliases
from fangpin.validation import Errors, fail, shown

from . import catalogue
from .models import ListKind, Policy, PolicyList

# The 附件1 columns in their order: field key -> (written header, aliases …).
COLUMNS = {
    "type": ("帮扶类型", "政策类型", "类型"),
    "name": ("帮扶政策", "政策名称", "政策"),
    "content": ("帮扶政策具体内容", "政策具体内容", "具体内容", "政策内容"),
    "target_population": ("适用人群", "适用对象"),
    "conditions_text": ("适用人群条件", "适用条件", "申报条件"),
    "procedure": ("申报程序（相关资料）", "申报程序", "申报程序及相关资料", "办理程序"),
    "contact": ("部门、联系人及电话", "部门联系人及电话", "部门及联系方式", "责任部门及联系方式"),
    "year": ("年度",),  # not in 附件1; when a file carries it, it must be the list's year
}
HEADERS = [names[0] for key, names in COLUMNS.items() if key != "year"]
REQUIRED = ("type", "name", "content")
MAX_ROWS = 2000
MAX_BYTES = 10 << 20
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")  # an upload is kept under its kind's suffix (the readers look at it)
ALIASES = Aliases(COLUMNS)
SPEC = intake.TableSpec(
    aliases=ALIASES,
    markers=("type", "name", "content"),
    kinds=("xlsx", "xls", "csv"),
    scan_rows=10,
    no_header="在文件前{scan_rows}行中没有找到表头（应含“帮扶类型”“帮扶政策”“帮扶政策具体内容”等列）：这不是附件1格式的帮扶政策清单",
    unsupported="不支持的文件格式：请上传附件1格式的Excel文件（.xlsx/.xls）或CSV文件",
    log_name=__name__,
)
FIELD_COLUMN = {"type": "type", "name": "name", "content": "content", "target_population": "target_population",
                "conditions_text": "conditions_text", "procedure": "procedure", "department": "contact",
                "contact_name": "contact", "office_phone": "contact", "mobile": "contact"}
PLACEHOLDERS = {"x", "xx", "xxx", "×", "—", "-", "--", "/", "无", "暂无"}
_ORDINAL = re.compile(r"^\s*(?:[（(]?\s*(?:\d{1,3}|[一二三四五六七八九十]{1,3})\s*[)）]|(?:\d{1,3}|[一二三四五六七八九十]{1,3})\s*[、.．,，:：])\s*")
_LABELS = re.compile(r"(部门|单位|联系人|办公电话|联系电话|电话|手机号码|手机号|手机)\s*[：:]")
_TITLE_YEAR = re.compile(r"(\d{4}|\d{2,3}[xXＸ×]{1,2}|[xXＸ]{4})\s*年")
_PHONE_TOKEN = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$")


@dataclass
class Preview:
    """What an import would write: rows as they will be stored, issues with row and column."""

    policy_list_id: int
    file_name: str
    sha256: str
    title: str
    rows: list[dict] = field(default_factory=list)  # {"row": n, **policy fields}
    issues: list[dict] = field(default_factory=list)  # {"level", "row", "column", "message"}
    replace: bool = False
    digest: str = ""

    @property
    def refused(self) -> list[dict]:
        return [i for i in self.issues if i["level"] == "refused"]

    @property
    def warnings(self) -> list[dict]:
        return [i for i in self.issues if i["level"] == "warning"]

    @property
    def can_apply(self) -> bool:
        return bool(self.rows) and not self.refused


def strip_ordinal(name: str) -> str:
    """"1、以工代赈" → "以工代赈"; "（二）雨露计划" → "雨露计划"."""
    return _ORDINAL.sub("", name or "", count=1).strip()


def _placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS


def parse_contact(text: str) -> dict:
    """"部门：发改局 联系人：张 办公电话：0561-1234567 手机号码：139…" → department, contact_name,
    office_phone, mobile. Without labels: the first word is the department, numbers are phones (11 digits
    starting with 1: mobile), the rest the contact. Placeholders are dropped (listed in ``placeholders``)."""
    text = (text or "").replace("\u3000", " ").strip()
    out = {"department": "", "contact_name": "", "office_phone": "", "mobile": "", "placeholders": []}
    if not text:
        return out
    label_key = {"部门": "department", "单位": "department", "联系人": "contact_name", "办公电话": "office_phone",
                 "联系电话": "office_phone", "电话": "office_phone", "手机号码": "mobile", "手机号": "mobile",
                 "手机": "mobile"}
    marks = list(_LABELS.finditer(text))
    if marks:
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            value = text[m.end():end].strip(" ，,;；、")
            key = label_key[m.group(1)]
            if _placeholder(value):
                out["placeholders"].append(m.group(1))
                continue
            if key == "office_phone" and re.fullmatch(r"1[3-9]\d{9}", value) and not out["mobile"]:
                key = "mobile"
            if not out[key]:
                out[key] = value
        return out
    words = [w for w in re.split(r"[\s，,;；、]+", text) if w]
    rest = []
    for word in words:
        if _placeholder(word):
            out["placeholders"].append(word)
        elif _PHONE_TOKEN.match(word):
            key = "mobile" if word.startswith("1") and len(word) == 11 else "office_phone"
            out[key] = out[key] or word
        else:
            rest.append(word)
    if rest:
        out["department"] = rest[0]
        out["contact_name"] = " ".join(rest[1:])
    return out


def contact_text(p: Policy, *, with_mobile: bool = True) -> str:
    """The 附件1 cell: "部门：发改局 联系人：张某 办公电话：… 手机号码：…"."""
    parts = [f"部门：{p.department}"] if p.department else []
    if p.contact_name:
        parts.append(f"联系人：{p.contact_name}")
    if p.office_phone:
        parts.append(f"办公电话：{p.office_phone}")
    if with_mobile and p.mobile:
        parts.append(f"手机号码：{p.mobile}")
    return " ".join(parts)


# --- reading -------------------------------------------------------------------------------------------


def _title_lines(path: Path, name: str, header_row: int) -> list[tuple[int, str]]:
    """The non-empty lines above the header row, with their row numbers (1-based)."""
    if header_row <= 1:
        return []
    kind = intake.sniff(path, name.lower())
    lines: list[tuple[int, str]] = []
    if kind == "csv":
        text = intake.decode_text(path.read_bytes())
        for i, line in enumerate(text.splitlines()[: header_row - 1], start=1):
            value = line.replace(",", " ").replace('"', "").strip()
            if value:
                lines.append((i, value))
    elif kind == "xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            for row in ws.iter_rows(min_row=1, max_row=header_row - 1):
                values = [str(c.value).strip() for c in row if getattr(c, "value", None) not in (None, "")]
                if values:
                    lines.append((row[0].row, " ".join(values)))
        finally:
            wb.close()
    return lines


def _check_title(lines, pl: PolicyList, issues: list[dict]) -> str:
    title = ""
    for row, text in lines:
        title = title or text
        m = _TITLE_YEAR.search(text)
        if not m:
            continue
        raw = m.group(1)
        if not raw.isdigit():
            issues.append({"level": "warning", "row": row, "column": "标题",
                           "message": f"第{row}行标题中的年度“{raw}年”是模板占位，按清单年度{pl.year}年导入"})
        elif int(raw) != pl.year:
            issues.append({"level": "refused", "row": row, "column": "标题",
                           "message": f"第{row}行标题中的年度为{raw}年，与清单年度{pl.year}年不一致：请导入{pl.year}年的清单"})
        break
    return title


def _fingerprint(pl: PolicyList) -> list:
    return [pl.pk, pl.status, list(pl.policies.order_by("pk").values_list("pk", "position", "name"))]


def _digest(pl: PolicyList, rows: list[dict], replace: bool) -> str:
    d = Digest()
    d.feed(_fingerprint(pl))
    d.feed(replace)
    d.feed(rows)
    return d.hexdigest()


def preview(pl: PolicyList, path: str | Path, original_name: str = "", *, replace: bool = False) -> Preview:
    """Read and check a 附件1 file for ``pl`` (dry run: writes nothing). A file that cannot be taken in
    at all (unreadable, no header, a required column missing, too many rows) raises ``ValidationError``
    on ``file``; row problems are issues of the preview."""
    path = Path(path)
    name = original_name or path.name
    if path.stat().st_size > MAX_BYTES:
        fail("file", f"文件过大（超过{MAX_BYTES >> 20}MB）：一份政策清单不会这么大，请检查文件")
    try:
        table = intake.read_table(path, SPEC, name)
    except intake.IntakeError as exc:
        fail("file", str(exc))
    cm = SPEC.map_columns(table.headers)
    missing = [ALIASES.header(k) for k in REQUIRED if k not in cm.fields]
    if missing:
        fail("file", f"文件缺少必需的列：{'、'.join(f'“{m}”' for m in missing)}（表头在第{table.header_row}行）。"
                     f"附件1的列依次为：{'、'.join(HEADERS)}；本次未导入任何数据")
    if table.row_count > MAX_ROWS:
        fail("file", f"文件有{table.row_count}行，超过一份政策清单的上限{MAX_ROWS}行")
    result = Preview(policy_list_id=pl.pk, file_name=name, sha256=file_sha256(path), title="", replace=replace)
    result.title = _check_title(_title_lines(path, name, table.header_row), pl, result.issues)
    header = {key: cm.header_of(key) for key in COLUMNS}
    frame = table.frame
    cats = catalogue.category_names(pl.county_code)
    risks = catalogue.risk_type_values()
    last_type, last_contact = "", ""
    seen: dict[tuple[str, str], int] = {}
    for raw in frame.iter_rows(named=True):
        row = raw["_row"]
        cell = {key: (raw.get(f"c{cm.fields[key]}") or "").strip() if key in cm.fields else "" for key in COLUMNS}
        if not any(cell[k] for k in COLUMNS if k != "year"):
            continue
        if cell["type"]:
            last_type = cell["type"]
        else:
            cell["type"] = last_type
        if cell["contact"]:
            last_contact = cell["contact"]
        else:
            cell["contact"] = last_contact
        if "year" in cm.fields and cell["year"] and cell["year"].removesuffix(".0") != str(pl.year):
            result.issues.append({"level": "refused", "row": row, "column": header["year"],
                                  "message": f"第{row}行“{header['year']}”为“{shown(cell['year'])}”，应为清单年度{pl.year}"})
        contact = parse_contact(cell["contact"])
        if contact["placeholders"]:
            result.issues.append({"level": "warning", "row": row, "column": header["contact"],
                                  "message": f"第{row}行“{header['contact']}”中{'、'.join(contact['placeholders'])}为占位符，按未填写导入"})
        data = {"type": cell["type"], "name": strip_ordinal(cell["name"]), "content": cell["content"],
                "target_population": cell["target_population"], "conditions_text": cell["conditions_text"],
                "procedure": cell["procedure"], "department": contact["department"],
                "contact_name": contact["contact_name"], "office_phone": contact["office_phone"],
                "mobile": contact["mobile"]}
        if pl.kind == ListKind.DEPARTMENT and not data["department"]:
            data["department"] = pl.department
        errors = Errors()
        values = catalogue.clean_policy(data, pl, errors)
        if pl.kind == ListKind.CATALOGUE and "department" in errors and not cell["contact"]:
            errors["department"] = "部门不能为空"
        for fld, message in errors.items():
            column = header.get(FIELD_COLUMN.get(fld, ""), "") or ALIASES.header(FIELD_COLUMN.get(fld, fld))
            result.issues.append({"level": "refused", "row": row, "column": column,
                                  "message": f"第{row}行“{column}”：{message}"})
        if errors:
            continue
        key = (values["type"], values["name"])
        if key in seen:
            result.issues.append({"level": "warning", "row": row, "column": header["name"],
                                  "message": f"第{row}行与第{seen[key]}行的帮扶类型和政策名称相同，请确认不是重复填写"})
        seen.setdefault(key, row)
        values["conditions"] = catalogue.derive_conditions(values["target_population"], values["conditions_text"],
                                                           categories=cats, risk_types=risks)
        result.rows.append({"row": row, **values})
    if not result.rows and not result.refused:
        result.issues.append({"level": "refused", "row": None, "column": "",
                              "message": "文件中没有政策数据（表头下方没有内容）"})
    result.issues.sort(key=lambda i: (i["row"] or 0, i["column"]))
    result.digest = _digest(pl, result.rows, replace)
    return result


@transaction.atomic
def apply(actor, policy_list: PolicyList, path: str | Path, original_name: str = "", *, digest: str,
          replace: bool = False) -> catalogue.Result:
    """Write what the confirmed preview showed (``digest``), in one transaction, or refuse and write nothing."""
    pl = catalogue.lock_list(policy_list)
    catalogue.require_editor(actor, pl)
    result = preview(pl, path, original_name, replace=replace)
    if result.refused:
        fail("file", f"文件中有{len(result.refused)}处问题，未导入任何数据：{result.refused[0]['message']}")
    if not digest or result.digest != digest:
        fail("file", STALE)
    existing = list(pl.policies.all())
    position = 0
    removed = 0
    if replace and existing:
        used = Policy.objects.filter(pk__in=[p.pk for p in existing]).filter(measures__isnull=False).exists()
        copied = Policy.objects.filter(origin__in=existing).exists()
        if used or copied:
            fail("file", "清单中已有政策被帮扶措施引用或已汇总进县级清单，不能整表替换：请选择“追加到清单”")
        removed = len(existing)
        pl.policies.all().delete()
    elif existing:
        position = max(p.position for p in existing)
    fields = catalogue.POLICY_FIELDS
    Policy.objects.bulk_create([Policy(policy_list=pl, position=position + i, **{f: r[f] for f in fields})
                                for i, r in enumerate(result.rows, start=1)])
    record(actor, "policy_list.import", pl, before={"policies": len(existing)} if existing else None,
           after={"file": result.file_name, "sha256": result.sha256, "imported": len(result.rows),
                  "removed": removed, "replace": replace, "policies": pl.policies.count()},
           division_code=pl.county_code)
    verb = "替换为" if replace else "导入"
    return catalogue.Result(pl, f"已从“{result.file_name}”{verb}{len(result.rows)}条政策")


# --- uploads kept between the preview and the confirmation -------------------------------------------


def _stash_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "assistance" / "policy_imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


STASH_HOURS = 24  # an upload never confirmed is removed after this long (at the next upload)


def _sweep(folder: Path) -> None:
    import time

    limit = time.time() - STASH_HOURS * 3600
    for item in folder.iterdir():
        try:
            if item.stat().st_mtime < limit:
                item.unlink()
        except OSError:
            pass


def stash(upload, user, pl: PolicyList) -> str:
    """Keep an uploaded file for its confirmation; returns the token naming it (random, unguessable).
    Uploads older than ``STASH_HOURS`` are removed first."""
    if upload is None:
        fail("file", "请选择要导入的文件")
    if upload.size > MAX_BYTES:
        fail("file", f"文件过大（超过{MAX_BYTES >> 20}MB）：一份政策清单不会这么大，请检查文件")
    token = secrets.token_urlsafe(18)
    folder = _stash_dir()
    _sweep(folder)
    name = Path(upload.name or "政策清单.xlsx").name[:200]
    suffix = Path(name).suffix.lower()
    suffix = suffix if suffix in SUFFIXES else ".bin"
    with open(folder / f"{token}{suffix}", "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    meta = {"user": user.pk, "list": pl.pk, "name": name, "suffix": suffix}
    (folder / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return token


def unstash(token: str, user, pl: PolicyList) -> tuple[Path, str]:
    """The file of ``token`` uploaded by ``user`` for ``pl``; anything else is refused alike."""
    gone = "导入的文件已失效，请重新上传后预检"
    if not isinstance(token, str) or not re.fullmatch(r"[A-Za-z0-9_-]{20,40}", token):
        fail("token", gone)
    folder = _stash_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        fail("token", gone)
    suffix = meta.get("suffix") if meta.get("suffix") in SUFFIXES else ".bin"
    path = folder / f"{token}{suffix}"
    if meta.get("user") != user.pk or meta.get("list") != pl.pk or not path.exists():
        fail("token", gone)
    return path, meta.get("name", "")


def discard(token: str) -> None:
    folder = _stash_dir()
    for suffix in (*SUFFIXES, ".bin", ".json"):
        try:
            (folder / f"{token}{suffix}").unlink()
        except OSError:
            pass


def apply_stashed(actor, pl: PolicyList, token: str, *, digest: str, replace: bool = False) -> catalogue.Result:
    path, name = unstash(token, actor, pl)
    result = apply(actor, pl, path, name, digest=digest, replace=replace)
    discard(token)
    return result


# --- export --------------------------------------------------------------------------------------------


def title_for(pl: PolicyList) -> str:
    county = pl.county.name
    if pl.kind == ListKind.DEPARTMENT:
        return f"{pl.year}年{county}{pl.department}防返贫帮扶政策清单"
    return f"{pl.year}年{county}防返贫帮扶政策清单（第{pl.version}版）"


def export_rows(pl: PolicyList, *, with_mobile: bool = True) -> list[list[str]]:
    rows, numbers = [], {}
    for p in pl.policies.order_by("position", "pk"):
        numbers[p.type] = numbers.get(p.type, 0) + 1
        rows.append([p.type, f"{numbers[p.type]}、{p.name}", p.content, p.target_population, p.conditions_text,
                     p.procedure, contact_text(p, with_mobile=with_mobile)])
    return rows


def export_xlsx(pl: PolicyList) -> bytes:
    """The list in the 附件1 layout: title row, header row, one row per policy."""
    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("政策清单")
    title = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True,
                          "bg_color": "#EFEFEF"})
    body = wb.add_format({"border": 1, "valign": "top", "text_wrap": True})
    ws.merge_range(0, 0, 0, len(HEADERS) - 1, title_for(pl), title)
    ws.set_row(0, 32)
    for c, (text, width) in enumerate(zip(HEADERS, (12, 22, 48, 26, 32, 36, 34), strict=True)):
        ws.write_string(1, c, text, head)
        ws.set_column(c, c, width)
    for r, row in enumerate(export_rows(pl), start=2):
        for c, value in enumerate(row):
            ws.write_string(r, c, value or "", body)
    ws.freeze_panes(2, 0)
    wb.close()
    return out.getvalue()


def export_for(user, pl: PolicyList) -> bytes:
    """The export for ``user`` (a list they see, fetched through ``catalogue.get_list_for``): roles without
    the export capability print the booklet instead."""
    if not user.caps.export:
        raise PermissionDenied("您的角色不能导出数据，可使用“口袋书打印”查看和打印政策清单")
    return export_xlsx(pl)


def export_name(pl: PolicyList) -> str:
    return f"{title_for(pl)}.xlsx"


def as_issue_list(exc: ValidationError) -> list[str]:
    return [m for msgs in exc.message_dict.values() for m in msgs] if hasattr(exc, "error_dict") else exc.messages
