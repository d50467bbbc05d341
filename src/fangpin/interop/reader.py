"""Read a national-system export into a table of text (R-INT-01).

- Excel (.xlsx/.xlsm/.xls) through fastexcel, every cell as text; CSV in UTF-8 (with or without
  BOM) or GBK/GB18030, also ``="…"``-wrapped cells.
- The header row is found by content: the first of the top rows that holds ``户编号``,
  ``证件号码`` or ``户主证件号码`` (0–3 or more title rows above it are skipped).
- Duplicate header names are kept by position (``风险是否已消除``, ``风险是否已消除#2``).
- ID-number columns are read so that a cell stored as an Excel number (an 18-digit ID kept
  as a float loses its last digits) is known and refused, naming the row.
- Row numbers are the Excel row numbers the officer sees.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from .layouts import dedupe_headers, looks_like_header, map_columns, normalize_header

log = logging.getLogger(__name__)
SCAN_ROWS = 15
ID_FIELDS = ("id_number", "head_id_number")


class NotAnExport(ValueError):
    """The file cannot be read as a national-system export (Chinese message)."""


@dataclass
class Table:
    frame: pl.DataFrame  # data rows only; columns c0…cN (text, "" when empty) and _row (Excel row number)
    headers: list[str]
    header_row: int
    sheet_name: str = ""
    numeric_cells: dict[int, set[int]] = field(default_factory=dict)  # column position -> Excel rows holding a number

    @property
    def row_count(self) -> int:
        return self.frame.height


def col(pos: int) -> str:
    return f"c{pos}"


# What the officer is told when a file cannot be read at all. The reason the library gave (which names
# the server's storage path and the library's internals) goes to the operators' log only.
UNREADABLE = {
    "xlsx": "文件无法读取：不是有效的Excel工作簿（.xlsx），请用Excel另存为后重新上传",
    "xls": "文件无法读取：不是有效的Excel 97-2003工作簿（.xls），请用Excel另存为.xlsx后重新上传",
    "csv": "文件无法读取：CSV文件内容有误，请用Excel另存为.xlsx后重新上传",
}
CSV_ENCODING = "文件无法读取：CSV文件的编码无法识别（应为UTF-8或GBK），请用Excel另存为.xlsx或“CSV UTF-8”后重新上传"


class _Unreadable(Exception):
    """The file is damaged or of another kind; ``read_table`` turns this into the Chinese message."""


def read_table(path: str | Path, original_name: str = "") -> Table:
    path = Path(path)
    name = (original_name or path.name).lower()
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK") or name.endswith((".xlsx", ".xlsm")):
        kind = "xlsx"
    elif head.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        kind = "xls"
    elif name.endswith((".csv", ".txt")) or _looks_like_text(path):
        kind = "csv"
    else:
        raise NotAnExport("不支持的文件格式：请上传国家系统导出的Excel文件（.xlsx/.xls）或CSV文件")
    try:
        if kind == "xlsx" and not zipfile.is_zipfile(path):
            raise _Unreadable("not a zip archive")
        return _read_csv(path) if kind == "csv" else _read_excel(path)
    except NotAnExport:
        raise
    except UnicodeError as exc:
        log.warning("import file %s (%s) has an unknown text encoding: %s", path, original_name, exc)
        raise NotAnExport(CSV_ENCODING) from None
    except Exception as exc:  # noqa: BLE001 - any failure of the readers means the file is damaged
        log.warning("import file %s (%s) could not be read as %s: %s", path, original_name, kind, exc, exc_info=not isinstance(exc, _Unreadable))
        raise NotAnExport(UNREADABLE[kind]) from None


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as fh:
        sample = fh.read(4096)
    return b"\x00" not in sample and len(sample) > 0


# --- Excel -----------------------------------------------------------------------------------


def _scan_sheet_headers(path: Path) -> list[tuple[str, int, dict]]:
    """(sheet name, header Excel row, {absolute column: header text}) for each sheet that has a header."""
    import openpyxl

    found = []
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:
        return []
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(min_row=1, max_row=SCAN_ROWS):
                values, row_no = {}, None
                for cell in row:
                    value = getattr(cell, "value", None)
                    if value is None or str(value).strip() == "":
                        continue
                    values[cell.column - 1] = value
                    row_no = cell.row
                if values and looks_like_header(list(values.values())):
                    found.append((ws.title, row_no, values))
                    break
    finally:
        wb.close()
    return found


def _find_header(frame: pl.DataFrame) -> int | None:
    for i in range(min(SCAN_ROWS, frame.height)):
        if looks_like_header(list(frame.row(i))):
            return i
    return None


def _id_positions(headers) -> list[int]:
    from .layouts import alias_index

    index = alias_index()
    return [i for i, v in enumerate(headers) if index.get(normalize_header(v)) in ID_FIELDS]


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _first_column(frame: pl.DataFrame, header_idx: int, scanned) -> int:
    """Absolute index of the loaded range's first column (the range starts at the first used column)."""
    if scanned:
        cells = scanned[0][2]
        values = [normalize_header(v) for v in frame.row(header_idx)]
        for start in range(0, max(cells) + 1):
            if all(normalize_header(cells.get(start + i)) == v for i, v in enumerate(values) if v):
                return start
    return 0


def _sheet_member(z: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The zip member of the named worksheet (workbook.xml + its relationships)."""
    try:
        workbook = z.read("xl/workbook.xml").decode("utf-8")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    except KeyError:
        return None
    rid = None
    for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        tag = m.group(0)
        name = re.search(r'name="([^"]*)"', tag)
        if name and _xml_unescape(name.group(1)) == sheet_name:
            found = re.search(r'r:id="([^"]*)"', tag) or re.search(r'\bid="([^"]*)"', tag)
            rid = found.group(1) if found else None
            break
    if rid is None:
        return None
    for m in re.finditer(r"<Relationship\b[^>]*>", rels):
        tag = m.group(0)
        if f'Id="{rid}"' in tag:
            target = re.search(r'Target="([^"]*)"', tag).group(1)
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def _xml_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def _numeric_cells_xml(path: Path, sheet_name: str, columns: dict[int, int], header_row: int) -> dict[int, set[int]]:
    """Rows whose cell in the given columns is stored as a number (no text type) in the sheet XML.

    Only used when an ID column mixes text and number cells; streams the sheet once.
    """
    letters = {_column_letters(abs_col).encode(): pos for pos, abs_col in columns.items()}
    pattern = re.compile(rb'<c r="(' + b"|".join(letters) + rb')(\d+)"([^>]*)>')
    found: dict[int, set[int]] = {}
    with zipfile.ZipFile(path) as z:
        member = _sheet_member(z, sheet_name)
        if member is None:
            return found
        with z.open(member) as fh:
            tail = b""
            while True:
                chunk = fh.read(1 << 24)
                buf = tail + chunk
                if not chunk:
                    cut = len(buf)
                else:
                    cut = buf.rfind(b"<c ")
                    if cut <= 0:
                        tail = buf
                        continue
                for m in pattern.finditer(buf, 0, cut):
                    attrs = m.group(3)
                    if b't="' in attrs and b't="n"' not in attrs:
                        continue
                    row = int(m.group(2))
                    if row > header_row:
                        found.setdefault(letters[m.group(1)], set()).add(row)
                tail = buf[cut:]
                if not chunk:
                    break
    return found


def _load(reader, sheet, **options) -> pl.DataFrame:
    """Load a sheet eagerly: fastexcel builds the Arrow columns itself without holding the GIL (about a
    tenth faster than the lazy path on a large sheet, and other threads run meanwhile)."""
    return pl.from_arrow(reader.load_sheet(sheet, header_row=None, eager=True, **options))


def _read_excel(path: Path) -> Table:
    import fastexcel

    reader = fastexcel.read_excel(str(path))  # a damaged file raises here or while loading (see read_table)
    scanned = _scan_sheet_headers(path) if path.suffix.lower() != ".xls" else []
    if not reader.sheet_names:
        raise NotAnExport("Excel文件中没有工作表")
    frame = None
    numeric: dict[int, set[int]] = {}
    if scanned:
        sheet, header_excel_row, cells = scanned[0]
        start = min(cells)
        width = max(cells) - start + 1
        expected = [normalize_header(cells.get(start + i)) for i in range(width)]
        ids = _id_positions([cells.get(start + i) for i in range(width)])
        try:
            # One parse: text everywhere except the ID columns, whose type is inferred strictly so a
            # column mixing text and number cells fails here (and is then read a second time).
            loaded = _load(
                reader, sheet, use_columns=list(range(width)),
                dtypes={i: "string" for i in range(width) if i not in ids},
                dtype_coercion="strict", schema_sample_rows=None,
            )
        except fastexcel.UnsupportedColumnTypeCombinationError:
            loaded = None
        except Exception:
            loaded = None
        if loaded is not None:
            idx = _find_header(loaded)
            if idx is not None and [normalize_header(v) for v in loaded.row(idx)] == expected:
                for pos in ids:
                    name = loaded.columns[pos]
                    if loaded[name].dtype != pl.String:
                        hit = loaded.with_row_index("_i").filter(pl.col(name).is_not_null() & (pl.col("_i") > idx))
                        numeric[pos] = {header_excel_row + int(i) - idx for i in hit["_i"]}
                        loaded = loaded.with_columns(pl.col(name).cast(pl.String))
                frame, header_idx = loaded, idx
    else:
        sheet, header_excel_row = reader.sheet_names[0], None
    if frame is None:
        frame = _load(reader, sheet, dtypes="string")
        header_idx = _find_header(frame)
        if header_idx is None:
            raise NotAnExport(
                f"在文件前{SCAN_ROWS}行中没有找到表头（需要含“户编号”或“证件号码”列）：这不是国家系统导出的人员或户信息表"
            )
        if header_excel_row is None:
            header_excel_row = header_idx + 1
        ids = _id_positions(list(frame.row(header_idx)))
        if ids and zipfile.is_zipfile(path):
            first_col = _first_column(frame, header_idx, scanned)
            numeric = _numeric_cells_xml(path, str(sheet), {pos: first_col + pos for pos in ids}, header_excel_row)
    headers = dedupe_headers(list(frame.row(header_idx)))
    while headers and not headers[-1]:
        headers.pop()
    body = frame.slice(header_idx + 1).select(frame.columns[: len(headers)])
    body.columns = [col(i) for i in range(len(headers))]
    body = body.with_columns(
        pl.int_range(header_excel_row + 1, header_excel_row + 1 + body.height, eager=True).alias("_row")
    )
    return _finish(body, headers, header_excel_row, str(sheet), numeric)


# --- CSV -------------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) or GBK/GB18030; anything else (UTF-16, binary data) raises ``UnicodeError``."""
    if b"\x00" in raw:
        raise UnicodeError("NUL bytes: UTF-16 text or binary data")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


_WRAPPED = re.compile(r'^="(.*)"$')


def _read_csv(path: Path) -> Table:
    text = _decode(path.read_bytes())
    lines = text.splitlines()
    header_idx, headers = None, None
    for i, line in enumerate(lines[:SCAN_ROWS]):
        values = next(csv.reader([line]), [])
        values = [_WRAPPED.sub(r"\1", v) for v in values]
        if looks_like_header(values):
            header_idx, headers = i, dedupe_headers(values)
            break
    if header_idx is None:
        raise NotAnExport(
            f"在文件前{SCAN_ROWS}行中没有找到表头（需要含“户编号”或“证件号码”列）：这不是国家系统导出的人员或户信息表"
        )
    while headers and not headers[-1]:
        headers.pop()
    body_text = "\n".join(lines[header_idx + 1 :])
    width = len(headers)
    if body_text.strip():
        frame = pl.read_csv(
            io.StringIO(body_text),
            has_header=False,
            infer_schema=False,
            truncate_ragged_lines=True,
            new_columns=[col(i) for i in range(width)],
            quote_char='"',
        )
        if frame.width < width:
            frame = frame.with_columns([pl.lit("").alias(col(i)) for i in range(frame.width, width)])
        frame = frame.select([col(i) for i in range(width)])
        frame = frame.with_columns([pl.col(c).str.replace(r'^="(.*)"$', "${1}") for c in frame.columns])
    else:
        frame = pl.DataFrame({col(i): pl.Series([], dtype=pl.String) for i in range(width)})
    frame = frame.with_columns(pl.int_range(header_idx + 2, header_idx + 2 + frame.height, eager=True).alias("_row"))
    return _finish(frame, headers, header_idx + 1, "", {})


# --- common ----------------------------------------------------------------------------------


def _finish(frame: pl.DataFrame, headers: list[str], header_row: int, sheet: str, numeric: dict) -> Table:
    """Keep the columns the importer knows (the others are only reported by name), as stripped text."""
    cm = map_columns(headers)
    keep = sorted(set(cm.fields.values()) | {pos for pos, _, _ in cm.same_as})
    data_cols = [col(pos) for pos in keep if col(pos) in frame.columns]
    frame = frame.select([pl.col(c).cast(pl.String).fill_null("").str.strip_chars() for c in data_cols] + [pl.col("_row")])
    if data_cols:
        frame = frame.filter(pl.any_horizontal([pl.col(c) != "" for c in data_cols]))
    return Table(frame=frame, headers=headers, header_row=header_row, sheet_name=sheet, numeric_cells=numeric)


def column_map(table: Table):
    return map_columns(table.headers)
