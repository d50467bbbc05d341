"""File intake: a CSV, Excel or Parquet file into one table of text, whatever its packaging.

- Excel (.xlsx/.xlsm through fastexcel, in bounded windows of rows; .xls whole), every cell as text;
  CSV in UTF-8 (with or without BOM) or GBK/GB18030, also ``="…"``-wrapped cells; Parquet, every
  column cast to text.
- The header row is found by content (the caller's ``TableSpec.is_header``, e.g. "holds 户编号 or
  证件号码"), so 0–3 or more title rows above it are skipped.
- Duplicate header names are kept by position (``风险是否已消除``, ``风险是否已消除#2``).
- Columns the spec marks as exact text (ID numbers) are read so that a cell stored as a number (an
  18-digit ID kept as a float loses its last digits) is known and can be refused, naming the row.
- Row numbers are the Excel (or CSV line) numbers the officer sees; in a Parquet file, the record number.
- Only the columns the spec knows are kept, as stripped text ("" when empty); rows empty in all of
  them are dropped.

What the officer reads when a file cannot be read is a fixed Chinese sentence (``IntakeError``); the
library's reason, which names the server's storage path and the library's internals, is logged.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from . import xlsx
from .headers import Aliases, ColumnMap, dedupe_headers, find_header_row, normalize_header
from .memory import give_back

log = logging.getLogger(__name__)

KINDS = ("xlsx", "xls", "csv", "parquet")
UNREADABLE = {
    "xlsx": "文件无法读取：不是有效的Excel工作簿（.xlsx），请用Excel另存为后重新上传",
    "xls": "文件无法读取：不是有效的Excel 97-2003工作簿（.xls），请用Excel另存为.xlsx后重新上传",
    "csv": "文件无法读取：CSV文件内容有误，请用Excel另存为.xlsx后重新上传",
    "parquet": "文件无法读取：不是有效的Parquet文件，请重新导出后上传",
}
CSV_ENCODING = "文件无法读取：CSV文件的编码无法识别（应为UTF-8或GBK），请用Excel另存为.xlsx或“CSV UTF-8”后重新上传"
NO_SHEET = "Excel文件中没有工作表"


class IntakeError(ValueError):
    """The file cannot be taken in; the message is Chinese and fit for the officer."""


@dataclass(frozen=True)
class TableSpec:
    """What a user of the toolkit expects of its files."""

    aliases: Aliases
    markers: tuple[str, ...]  # fields whose header marks the header row
    exact_text: tuple[str, ...] = ()  # fields whose number cells are reported (ID numbers)
    kinds: tuple[str, ...] = KINDS
    scan_rows: int = 15
    keep_unknown: bool = False  # keep columns the alias table does not know
    no_header: str = "在文件前{scan_rows}行中没有找到表头"
    unsupported: str = "不支持的文件格式：请上传Excel文件（.xlsx/.xls）、CSV文件或Parquet文件"
    column_map: type[ColumnMap] = ColumnMap
    window_bytes: int = 48 << 20  # sheet XML per window of an .xlsx (≈ 3× that in memory while parsed)
    log_name: str = __name__  # where the reason an unreadable file failed is logged (for the operators)
    # Keep columns with few distinct values (villages, yes/no, value lists) as polars Categorical text:
    # 4 bytes a cell instead of a 16-byte string view, a quarter of the memory of a large export. The
    # choice is made on the first window and holds for the whole file; ``.cast(pl.String)`` gives text.
    compact: bool = False

    def is_header(self, values) -> bool:
        return self.aliases.marks_header(values, self.markers)

    def map_columns(self, headers: list[str]) -> ColumnMap:
        return self.aliases.map_columns(headers, self.column_map)

    def no_header_message(self) -> str:
        return self.no_header.format(scan_rows=self.scan_rows)


@dataclass
class Table:
    frame: pl.DataFrame  # data rows only; columns c0…cN (text, "" when empty; Categorical when compact) and _row
    headers: list[str]
    header_row: int
    sheet_name: str = ""
    numeric_cells: dict[int, set[int]] = field(default_factory=dict)  # column position -> rows holding a number
    released_rows: int | None = None

    @property
    def row_count(self) -> int:
        return self.released_rows if self.released_rows is not None else self.frame.height

    def release(self) -> None:
        """Let go of the rows once a consumer has taken what it needs (the counts and names stay)."""
        if self.released_rows is None:
            self.released_rows = self.frame.height
            self.frame = self.frame.clear()


class _Compactor:
    """Decides once (on the first rows seen) which text columns to keep as Categorical, then casts every
    later part the same way, to one set of categories of its own (freed with the table)."""

    def __init__(self, enabled: bool):
        self.enabled, self.columns, self.categories = enabled, None, None

    def __call__(self, frame: pl.DataFrame) -> pl.DataFrame:
        if not self.enabled:
            return frame
        if self.columns is None:
            limit = max(100, frame.height // 50)
            counts = frame.select([pl.col(c).n_unique() for c in frame.columns if c != "_row"]).row(0, named=True) if frame.width > 1 else {}
            self.columns = [c for c, n in counts.items() if n <= limit]
            self.categories = pl.Categories.random()
        if not self.columns:
            return frame
        return frame.with_columns([pl.col(c).cast(pl.Categorical(self.categories)) for c in self.columns])


def col(pos: int) -> str:
    return f"c{pos}"


class _Unreadable(Exception):
    """The file is damaged or of another kind; ``read_table`` turns this into the Chinese message."""


def sniff(path: Path, name: str) -> str | None:
    """The kind of file by its first bytes, else by its name: xlsx, xls, parquet, csv (or None)."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK") or name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    if name.endswith((".csv", ".txt")) or _looks_like_text(path):
        return "csv"
    return None


def read_table(path: str | Path, spec: TableSpec, original_name: str = "") -> Table:
    path = Path(path)
    name = (original_name or path.name).lower()
    kind = sniff(path, name)
    if kind is None or kind not in spec.kinds:
        raise IntakeError(spec.unsupported)
    try:
        if kind == "xlsx" and not zipfile.is_zipfile(path):
            raise _Unreadable("not a zip archive")
        if kind == "csv":
            return _read_csv(path, spec)
        if kind == "parquet":
            return _read_parquet(path, spec)
        return _read_excel(path, spec)
    except IntakeError:
        raise
    except UnicodeError as exc:
        logging.getLogger(spec.log_name).warning("import file %s (%s) has an unknown text encoding: %s", path, original_name, exc)
        raise IntakeError(CSV_ENCODING) from None
    except Exception as exc:  # noqa: BLE001 - any failure of the readers means the file is damaged
        logging.getLogger(spec.log_name).warning("import file %s (%s) could not be read as %s: %s", path, original_name, kind, exc, exc_info=not isinstance(exc, _Unreadable))
        raise IntakeError(UNREADABLE[kind]) from None


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as fh:
        sample = fh.read(4096)
    return b"\x00" not in sample and len(sample) > 0


# --- Excel -----------------------------------------------------------------------------------


def _scan_sheet_headers(path: Path, spec: TableSpec) -> list[tuple[str, int, dict]]:
    """(sheet name, header Excel row, {absolute column: header text}) for each sheet that has a header."""
    import openpyxl

    found = []
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:
        return []
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(min_row=1, max_row=spec.scan_rows):
                values, row_no = {}, None
                for cell in row:
                    value = getattr(cell, "value", None)
                    if value is None or str(value).strip() == "":
                        continue
                    values[cell.column - 1] = value
                    row_no = cell.row
                if values and spec.is_header(list(values.values())):
                    found.append((ws.title, row_no, values))
                    break
    finally:
        wb.close()
    return found


def _exact_positions(headers, spec: TableSpec) -> list[int]:
    return [i for i, v in enumerate(headers) if spec.aliases.key_of(v) in spec.exact_text]


def _first_column(frame: pl.DataFrame, header_idx: int, scanned) -> int:
    """Absolute index of the loaded range's first column (the range starts at the first used column)."""
    if scanned:
        cells = scanned[0][2]
        values = [normalize_header(v) for v in frame.row(header_idx)]
        for start in range(0, max(cells) + 1):
            if all(normalize_header(cells.get(start + i)) == v for i, v in enumerate(values) if v):
                return start
    return 0


def _load(reader, sheet, **options) -> pl.DataFrame:
    """Load a sheet eagerly: fastexcel builds the Arrow columns itself without holding the GIL (about a
    tenth faster than the lazy path on a large sheet, and other threads run meanwhile)."""
    return pl.from_arrow(reader.load_sheet(sheet, header_row=None, eager=True, **options))


def _read_excel(path: Path, spec: TableSpec) -> Table:
    import fastexcel

    reader = fastexcel.read_excel(str(path))  # a damaged file raises here or while loading (see read_table)
    has_sheets = bool(reader.sheet_names)
    del reader
    if not has_sheets:
        raise IntakeError(NO_SHEET)
    scanned = _scan_sheet_headers(path, spec) if path.suffix.lower() != ".xls" else []
    if scanned and zipfile.is_zipfile(path):
        try:
            return _read_windows(path, spec, scanned[0])
        except xlsx.NotWindowed as exc:
            log.info("sheet of %s read whole: %s", path, exc)
    return _read_whole(path, spec, scanned)


def _read_windows(path: Path, spec: TableSpec, scanned) -> Table:
    """The sheet in windows of rows (``ingest.xlsx``): each window parsed by fastexcel, reduced to the
    known columns as text at once, so memory holds one window's cells, never the sheet's."""
    import fastexcel

    sheet, header_row, cells = scanned
    start = min(cells)
    width = max(cells) - start + 1
    raw_headers = [cells.get(start + i) for i in range(width)]
    headers = dedupe_headers(raw_headers)
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    cm = spec.map_columns(headers)
    keep = list(range(width)) if spec.keep_unknown else cm.kept_positions()
    exact = set(_exact_positions(headers, spec)) & set(keep)
    wanted = {start + pos: pos for pos in keep}  # absolute column -> header position
    parts: list[pl.DataFrame] = []
    numeric: dict[int, set[int]] = {}
    compact = _Compactor(spec.compact)
    for window in _ahead(xlsx.windows(path, sheet, after_row=header_row, window_bytes=spec.window_bytes)):
        reader = fastexcel.read_excel(window.workbook)
        load_cols = sorted({0, *wanted})
        dtypes = {i: "string" for i in load_cols if wanted.get(i) not in exact}

        def use(column, load_cols=frozenset(load_cols)) -> bool:
            return column.index in load_cols

        try:
            # Text everywhere except the exact-text columns, whose type is inferred strictly so a column
            # mixing text and number cells fails here (and is then read as text and scanned).
            frame = _load(reader, sheet, use_columns=use, dtypes=dtypes, dtype_coercion="strict", schema_sample_rows=None)
            mixed = False
        except fastexcel.UnsupportedColumnTypeCombinationError:
            frame = _load(reader, sheet, use_columns=use, dtypes="string")
            mixed = True
        del reader
        if not frame.height or frame.row(0)[0] != xlsx.MARKER:
            raise xlsx.NotWindowed("the window's marker row was not read first")
        available = {}
        for name in frame.columns:
            index = _column_index(name)
            if index is not None:
                available[index] = name
        frame = frame.slice(1)
        rows = pl.int_range(window.first_row, window.first_row + frame.height, eager=True)
        body = {}
        for abs_col, pos in wanted.items():
            name = available.get(abs_col)
            body[col(pos)] = frame[name] if name is not None else pl.Series(col(pos), [None] * frame.height, dtype=pl.String)
        body = pl.DataFrame(body).with_columns(rows.alias("_row"))
        if mixed:
            found = xlsx.numeric_cells(window.workbook, {pos: start + pos for pos in exact}, header_row)
            for pos, hit in found.items():
                numeric.setdefault(pos, set()).update(hit)
        else:
            for pos in exact:
                series = body[col(pos)]
                if series.dtype != pl.String:
                    hit = body.filter(pl.col(col(pos)).is_not_null())["_row"].to_list()
                    numeric.setdefault(pos, set()).update(hit)
                    body = body.with_columns(pl.col(col(pos)).cast(pl.String))
        parts.append(compact(_text_columns(body, [col(pos) for pos in keep])))
        del frame, body
    frame = pl.concat(parts, how="vertical", rechunk=False) if parts else pl.DataFrame(
        {**{col(pos): pl.Series([], dtype=pl.String) for pos in keep}, "_row": pl.Series([], dtype=pl.Int64)}
    )
    give_back()  # the windows' workbooks and parsed cells (C heap), freed by now
    return Table(frame=frame, headers=headers, header_row=header_row, sheet_name=str(sheet), numeric_cells=numeric)


def _ahead(items):
    """The items of a generator, the next one made in a second thread while the caller works on the
    current one (cutting the next window overlaps parsing this one; at most one waits in between)."""
    import queue
    import threading

    box: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    done = object()

    def produce():
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        box.put(("item", item), timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(("end", done))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            box.put(("error", exc))
        finally:
            items.close()

    worker = threading.Thread(target=produce, name="ingest-windows", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        while worker.is_alive():
            try:
                box.get_nowait()
            except queue.Empty:
                pass
            worker.join(timeout=0.1)


_COLUMN_NAME = re.compile(r"^__UNNAMED__(\d+)$")


def _column_index(name: str) -> int | None:
    """fastexcel names the columns of a header-less sheet ``__UNNAMED__<index>``."""
    m = _COLUMN_NAME.match(name)
    return int(m.group(1)) if m else None


def _read_whole(path: Path, spec: TableSpec, scanned) -> Table:
    """The whole sheet in one parse (.xls, or a sheet that cannot be cut into windows)."""
    import fastexcel

    reader = fastexcel.read_excel(str(path))
    frame = None
    numeric: dict[int, set[int]] = {}
    if scanned:
        sheet, header_excel_row, cells = scanned[0]
        start = min(cells)
        width = max(cells) - start + 1
        expected = [normalize_header(cells.get(start + i)) for i in range(width)]
        ids = _exact_positions([cells.get(start + i) for i in range(width)], spec)
        try:
            loaded = _load(
                reader, sheet, use_columns=list(range(width)),
                dtypes={i: "string" for i in range(width) if i not in ids},
                dtype_coercion="strict", schema_sample_rows=None,
            )
        except Exception:
            loaded = None
        if loaded is not None:
            idx = _find_header(loaded, spec)
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
        header_idx = _find_header(frame, spec)
        if header_idx is None:
            raise IntakeError(spec.no_header_message())
        if header_excel_row is None:
            header_excel_row = header_idx + 1
        ids = _exact_positions(list(frame.row(header_idx)), spec)
        if ids and zipfile.is_zipfile(path):
            first_col = _first_column(frame, header_idx, scanned)
            numeric = xlsx.sheet_xml_numeric_cells(path, str(sheet), {pos: first_col + pos for pos in ids}, header_excel_row)
    headers = dedupe_headers(list(frame.row(header_idx)))
    while headers and not headers[-1]:
        headers.pop()
    body = frame.slice(header_idx + 1).select(frame.columns[: len(headers)])
    body.columns = [col(i) for i in range(len(headers))]
    body = body.with_columns(
        pl.int_range(header_excel_row + 1, header_excel_row + 1 + body.height, eager=True).alias("_row")
    )
    return _finish(body, headers, header_excel_row, str(sheet), numeric, spec)


def _find_header(frame: pl.DataFrame, spec: TableSpec) -> int | None:
    return find_header_row((frame.row(i) for i in range(frame.height)), spec.is_header, spec.scan_rows)


# --- CSV -------------------------------------------------------------------------------------


def decode_text(raw: bytes) -> str:
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
_ODD_BREAKS = re.compile(r"\r(?!\n)|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _read_csv(path: Path, spec: TableSpec) -> Table:
    text = _decode_file(path)
    header_idx, headers, offset = None, None, 0
    for i in range(spec.scan_rows):
        if offset >= len(text):
            break
        end = _line_end(text, offset)
        values = next(csv.reader([text[offset:end]]), [])
        values = [_WRAPPED.sub(r"\1", v) for v in values]
        offset = end + (2 if text.startswith("\r\n", end) else 1)
        if spec.is_header(values):
            header_idx, headers = i, dedupe_headers(values)
            break
    if header_idx is None:
        raise IntakeError(spec.no_header_message())
    while headers and not headers[-1]:
        headers.pop()
    body_text = text[offset:]
    del text
    if _ODD_BREAKS.search(body_text):  # lone CR and other line breaks: one record per line, as Python splits lines
        body_text = "\n".join(body_text.splitlines())
    width = len(headers)
    cm = spec.map_columns(headers)
    keep = list(range(width)) if spec.keep_unknown else cm.kept_positions()
    if body_text.strip():
        frame = pl.read_csv(
            io.BytesIO(body_text.encode("utf-8")),
            has_header=False,
            infer_schema=False,
            truncate_ragged_lines=True,
            new_columns=[col(i) for i in range(width)],
            quote_char='"',
        )
        if frame.width < width:
            frame = frame.with_columns([pl.lit("").alias(col(i)) for i in range(frame.width, width)])
        frame = frame.select([col(i) for i in keep])
        frame = frame.with_columns([pl.col(c).str.replace(r'^="(.*)"$', "${1}") for c in frame.columns])
    else:
        frame = pl.DataFrame({col(i): pl.Series([], dtype=pl.String) for i in keep})
    frame = frame.with_columns(pl.int_range(header_idx + 2, header_idx + 2 + frame.height, eager=True).alias("_row"))
    return _finish(frame, headers, header_idx + 1, "", {}, spec)


def _decode_file(path: Path) -> str:
    return decode_text(path.read_bytes())


_LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _line_end(text: str, offset: int) -> int:
    """End of the line starting at ``offset`` (as ``str.splitlines`` sees line breaks)."""
    m = _LINE_BREAK.search(text, offset)
    return m.start() if m else len(text)


# --- Parquet ---------------------------------------------------------------------------------


def _read_parquet(path: Path, spec: TableSpec) -> Table:
    """A Parquet file's columns are its headers (no title rows); only the known columns are read, and
    every value becomes text. Float columns that must be exact text (ID numbers) are reported as
    number cells; dates are written ``YYYY-MM-DD``."""
    schema = pl.read_parquet_schema(path)
    names = list(schema)
    if not spec.is_header(names):
        raise IntakeError(spec.no_header_message())
    headers = dedupe_headers(names)
    cm = spec.map_columns(headers)
    keep = list(range(len(names))) if spec.keep_unknown else cm.kept_positions()
    exact = set(_exact_positions(headers, spec))
    frame = pl.scan_parquet(path).select([pl.col(names[pos]).alias(col(pos)) for pos in keep]).with_row_index("_i").collect()
    numeric: dict[int, set[int]] = {}
    out = []
    for pos in keep:
        name, dtype = col(pos), frame.schema[col(pos)]
        if pos in exact and dtype.is_float():
            numeric[pos] = {int(i) + 1 for i in frame.filter(pl.col(name).is_not_null())["_i"]}
        if dtype == pl.Date:
            out.append(pl.col(name).dt.to_string("%Y-%m-%d"))
        elif dtype.is_float():
            out.append(pl.col(name).cast(pl.String).str.replace(r"\.0$", ""))
        else:
            out.append(pl.col(name).cast(pl.String))
    frame = frame.select(*out, (pl.col("_i").cast(pl.Int64) + 1).alias("_row"))
    return _finish(frame, headers, 0, "", numeric, spec)


# --- common ----------------------------------------------------------------------------------


def _text_columns(frame: pl.DataFrame, data_cols: list[str]) -> pl.DataFrame:
    frame = frame.select([pl.col(c).cast(pl.String).fill_null("").str.strip_chars() for c in data_cols] + [pl.col("_row")])
    if data_cols:
        frame = frame.filter(pl.any_horizontal([pl.col(c) != "" for c in data_cols]))
    return frame


def _finish(frame: pl.DataFrame, headers: list[str], header_row: int, sheet: str, numeric: dict, spec: TableSpec) -> Table:
    """Keep the columns the spec knows (the others are only reported by name), as stripped text."""
    cm = spec.map_columns(headers)
    keep = list(range(len(headers))) if spec.keep_unknown else cm.kept_positions()
    data_cols = [col(pos) for pos in keep if col(pos) in frame.columns]
    frame = _Compactor(spec.compact)(_text_columns(frame, data_cols))
    return Table(frame=frame, headers=headers, header_row=header_row, sheet_name=sheet, numeric_cells=numeric)


Reader = Callable[[Path, TableSpec], Table]
