"""A worksheet read in bounded windows of rows, each parsed by fastexcel (calamine).

fastexcel builds the whole sheet in memory before it hands over a single column (every cell as a
32-byte value plus its text: about 5 GB for a 1M-row, 100-column export), and neither fastexcel 0.21
nor python-calamine offers a row-windowed or streaming read. So the sheet's XML is streamed out of
the zip and cut at row boundaries into windows of about ``window_bytes``; each window becomes a small
in-memory workbook (the original's shared strings, styles and workbook part, and a sheet holding only
the window's rows, stored uncompressed) that fastexcel parses exactly as it parses the whole file:
the same cell types, number and date text, shared and inline strings. Rows keep their Excel row
numbers: a one-cell marker row written just above the window's first row anchors the parsed range,
so the loaded frame's first row is the marker and its column 0 is column A.

Only used for sheets whose rows carry their row numbers (``<row r="…">``, as every Excel, WPS,
xlsxwriter and openpyxl file does); ``NotWindowed`` sends the caller back to a whole-sheet read.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

MARKER = "\u2063fangpin-window\u2063"
READ_CHUNK = 16 << 20
_SHEETDATA = re.compile(rb"<(?:(\w+):)?sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")
_EMPTY_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
)


class NotWindowed(Exception):
    """The sheet cannot be cut into windows (no row numbers, unusual layout): read it whole."""


@dataclass
class Window:
    first_row: int  # Excel row number of the window's first row (the marker row is first_row - 1)
    workbook: bytes  # an xlsx holding only these rows


def sheet_member(z: zipfile.ZipFile, sheet_name: str) -> str | None:
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
        if name and xml_unescape(name.group(1)) == sheet_name:
            found = re.search(r'r:id="([^"]*)"', tag) or re.search(r'\bid="([^"]*)"', tag)
            rid = found.group(1) if found else None
            break
    if rid is None:
        return None
    for m in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        tag = m.group(0)
        if f'Id="{rid}"' in tag:
            target = re.search(r'Target="([^"]*)"', tag).group(1)
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def xml_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def windows(path, sheet_name: str, *, after_row: int, window_bytes: int = 48 << 20) -> Iterator[Window]:
    """The rows below Excel row ``after_row`` of the named sheet, as windows of about ``window_bytes``
    of sheet XML each. Memory: the window being cut and the one being parsed, never the sheet."""
    with zipfile.ZipFile(path) as z:
        member = sheet_member(z, sheet_name)
        if member is None:
            raise NotWindowed("sheet part not found")
        parts: dict[str, bytes] = {}
        for info in z.infolist():
            name = info.filename
            if name == member or name.endswith("/") or name.startswith(("xl/media/", "xl/drawings/", "xl/printerSettings/", "docProps/")):
                continue
            if name.startswith("xl/worksheets/") and name.endswith(".xml") and "/_rels/" not in name:
                parts[name] = _EMPTY_SHEET
            else:
                parts[name] = z.read(name)
        with z.open(member) as fh:
            yield from _cut(fh, member, parts, after_row, window_bytes)


def _cut(fh, member: str, parts: dict[str, bytes], after_row: int, window_bytes: int) -> Iterator[Window]:
    data = bytearray()
    eof = False

    read_size = min(READ_CHUNK, max(window_bytes, 1 << 16))

    def fill(target: int) -> None:
        nonlocal eof
        while not eof and len(data) < target:
            chunk = fh.read(read_size)
            if not chunk:
                eof = True
            data.extend(chunk)

    fill(1 << 20)
    found = _SHEETDATA.search(data)
    while found is None and not eof:
        fill(len(data) + READ_CHUNK)
        found = _SHEETDATA.search(data)
    if found is None:
        raise NotWindowed("no sheetData")
    if found.group(2) == b"/":  # <sheetData/>: no rows at all
        return
    prefix = found.group(1) + b":" if found.group(1) else b""
    head = _DIMENSION.sub(b"", bytes(data[: found.end()]))
    tail = b"</" + prefix + b"sheetData></" + prefix + b"worksheet>"
    row_open = re.compile(rb"\s*<" + re.escape(prefix) + rb"row\b([^>]*?)(/?)>")
    row_number = re.compile(rb'\br="(\d+)"')
    row_close = b"</" + prefix + b"row>"
    end_tag = b"</" + prefix + b"sheetData>"
    del data[: found.end()]

    # Skip the title and header rows (the first few rows of the sheet).
    while True:
        fill(1 << 20)
        m = row_open.match(data)
        if m is None:
            if data.lstrip().startswith(end_tag) or (eof and not data.strip()):
                return
            raise NotWindowed("unexpected content before the first row")
        number = row_number.search(m.group(1))
        if number is None:
            raise NotWindowed("a row without its number")
        if int(number.group(1)) > after_row:
            break
        if m.group(2) == b"/":
            del data[: m.end()]
            continue
        close = data.find(row_close, m.end())
        while close < 0 and not eof:
            fill(len(data) + READ_CHUNK)
            close = data.find(row_close, m.end())
        if close < 0:
            raise NotWindowed("a row is not closed")
        del data[: close + len(row_close)]

    while True:
        fill(window_bytes + len(end_tag))
        end = data.find(end_tag, 0, window_bytes + len(end_tag))
        if end >= 0:
            cut, last = end, True
        elif eof and len(data) <= window_bytes:
            cut, last = len(data), True
        else:
            cut, last = data.rfind(row_close, 0, window_bytes + len(row_close)), False
            while cut < 0:  # one row longer than a window: read on to its end
                if eof:
                    raise NotWindowed("a row is not closed")
                fill(len(data) + READ_CHUNK)
                cut = data.find(row_close)
            cut += len(row_close)
        m = row_open.match(data)
        if m is not None:
            number = row_number.search(m.group(1))
            if number is None:
                raise NotWindowed("a row without its number")
            first = int(number.group(1))
            yield Window(first, _workbook(parts, member, head, prefix, first, memoryview(data)[:cut], tail))
        elif data[:cut].strip():
            raise NotWindowed("unexpected content between rows")
        if last:
            return
        del data[:cut]


def _workbook(parts: dict[str, bytes], member: str, head: bytes, prefix: bytes, first: int, rows, tail: bytes) -> bytes:
    marker_row = first - 1
    marker = (
        b"<" + prefix + b'row r="' + str(marker_row).encode() + b'"><' + prefix + b'c r="A' + str(marker_row).encode()
        + b'" t="inlineStr"><' + prefix + b"is><" + prefix + b"t>" + MARKER.encode("utf-8") + b"</" + prefix + b"t></"
        + prefix + b"is></" + prefix + b"c></" + prefix + b"row>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as out:
        for name, content in parts.items():
            out.writestr(name, content)
        with out.open(member, "w", force_zip64=True) as sheet:
            sheet.write(head)
            sheet.write(marker)
            sheet.write(rows)
            sheet.write(tail)
    return buf.getvalue()


def numeric_cells(xml: bytes, columns: dict[int, int], after_row: int) -> dict[int, set[int]]:
    """Rows whose cell in the given columns (position -> absolute column index) is stored as a number
    (no text type) in this sheet XML."""
    letters = {column_letters(abs_col).encode(): pos for pos, abs_col in columns.items()}
    pattern = re.compile(rb'<(?:\w+:)?c r="(' + b"|".join(letters) + rb')(\d+)"([^>]*)>')
    found: dict[int, set[int]] = {}
    for m in pattern.finditer(xml):
        attrs = m.group(3)
        if b't="' in attrs and b't="n"' not in attrs:
            continue
        row = int(m.group(2))
        if row > after_row:
            found.setdefault(letters[m.group(1)], set()).add(row)
    return found


def sheet_xml_numeric_cells(path, sheet_name: str, columns: dict[int, int], after_row: int) -> dict[int, set[int]]:
    """``numeric_cells`` over a whole sheet, streamed from the zip (used with whole-sheet reads)."""
    letters = {column_letters(abs_col).encode(): pos for pos, abs_col in columns.items()}
    pattern = re.compile(rb'<(?:\w+:)?c r="(' + b"|".join(letters) + rb')(\d+)"([^>]*)>')
    found: dict[int, set[int]] = {}
    with zipfile.ZipFile(path) as z:
        member = sheet_member(z, sheet_name)
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
                    if row > after_row:
                        found.setdefault(letters[m.group(1)], set()).add(row)
                tail = buf[cut:]
                if not chunk:
                    break
    return found
