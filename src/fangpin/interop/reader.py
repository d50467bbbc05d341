"""Read a national-system export into a table of text (R-INT-01).

The reading itself is the ingest toolkit's (``fangpin.ingest.intake``: Excel in bounded windows of
rows, CSV in UTF-8/BOM/GBK, header row found by content below 0–3 or more title rows, duplicate
headers by position, number cells in ID columns located, Excel row numbers). What is national here:
the alias table and layouts (``layouts.json``), which headers mark the header row (``户编号``,
``证件号码``, ``户主证件号码``), that the ID-number columns must be text, that the national import
takes Excel and CSV files, and its messages.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fangpin.ingest import intake
from fangpin.ingest.intake import Table, col

from .layouts import HEADER_MARKERS, ColumnMap, aliases, map_columns

__all__ = ["ID_FIELDS", "SCAN_ROWS", "NotAnExport", "Table", "col", "column_map", "read_table", "spec"]

SCAN_ROWS = 15
ID_FIELDS = ("id_number", "head_id_number")


class NotAnExport(intake.IntakeError):
    """The file cannot be read as a national-system export (Chinese message)."""


@lru_cache(maxsize=1)
def spec() -> intake.TableSpec:
    return intake.TableSpec(
        aliases=aliases(),
        markers=HEADER_MARKERS,
        exact_text=ID_FIELDS,
        kinds=("xlsx", "xls", "csv"),
        scan_rows=SCAN_ROWS,
        no_header="在文件前{scan_rows}行中没有找到表头（需要含“户编号”或“证件号码”列）：这不是国家系统导出的人员或户信息表",
        unsupported="不支持的文件格式：请上传国家系统导出的Excel文件（.xlsx/.xls）或CSV文件",
        column_map=ColumnMap,
        log_name=__name__,
        compact=True,
    )


def read_table(path: str | Path, original_name: str = "") -> Table:
    try:
        return intake.read_table(path, spec(), original_name)
    except NotAnExport:
        raise
    except intake.IntakeError as exc:
        raise NotAnExport(str(exc)) from None


def column_map(table: Table):
    return map_columns(table.headers)
