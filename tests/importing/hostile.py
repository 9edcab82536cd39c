"""Files an outside tester (or an attacker) hands the import: damaged, disguised, oversized or booby-trapped.

Each builder returns the file's bytes; `UNREADABLE` pairs them with the one line the import must answer.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.chart import BarChart

SHEET = "xl/worksheets/sheet1.xml"
_MAIN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def workbook(*rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CUSTOMER = workbook(["code", "name", "type"], ["NBF001", "宁波远洋国际货运代理有限公司", "货代公司"])


def rezip(data: bytes, parts: dict[str, bytes | None]) -> bytes:
    """The same workbook with some parts replaced (or left out, for None)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info, source.read(info))
            elif (replacement := parts[info.filename]) is not None:
                target.writestr(info.filename, replacement)
    return out.getvalue()


def sheet_xml(rows: bytes, *, dimension: bytes = b"") -> bytes:
    return b'<?xml version="1.0"?>' + _MAIN + dimension + b"<sheetData>" + rows + b"</sheetData></worksheet>"


def row_xml(number: int, *cells: tuple[str, str]) -> bytes:
    """A <row> of inline strings, each cell given as (reference, text)."""
    inner = b"".join(
        b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref.encode(), text.encode())
        for ref, text in cells
    )
    return b'<row r="%d">%s</row>' % (number, inner)


HEADER = row_xml(1, ("A1", "code"), ("B1", "name"), ("C1", "type"))


def chartsheet_only() -> bytes:
    """A valid workbook whose only sheet is a chart: there is no worksheet to read."""
    book = Workbook()
    chart = book.create_chartsheet()
    chart.add_chart(BarChart())
    active = book.worksheets[0]
    book.remove(active)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def billion_laughs() -> bytes:
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (level, b"".join(b"&lol%d;" % (level - 1) for _ in range(10)))
        for level in range(1, 10)
    )
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE worksheet [' + entities + b"]>" + _MAIN + b"<sheetData>"
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    return rezip(CUSTOMER, {SHEET: xml})


def inflating(megabytes: int, *, declared: int | None = None) -> bytes:
    """A few hundred kilobytes that unpack to `megabytes` of sheet: a zip bomb in the shape of a workbook.

    With `declared`, the zip's directory and the part's own header claim that size instead of the true one.
    """
    source = zipfile.ZipFile(io.BytesIO(CUSTOMER))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info in source.infolist():
            if info.filename != SHEET:
                target.writestr(info, source.read(info))
        with target.open(SHEET, "w") as sheet:
            sheet.write(b'<?xml version="1.0"?>' + _MAIN + b"<sheetData>" + HEADER)
            blank = b" " * (1 << 20)
            for _ in range(megabytes):
                sheet.write(blank)
            sheet.write(b"</sheetData></worksheet>")
    data = bytearray(out.getvalue())
    if declared is not None:  # the uncompressed size: at 22 in a local header, at 24 in the directory
        for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
            at = data.find(signature)
            while at >= 0:
                if data[at + name_at : at + name_at + len(SHEET)] == SHEET.encode():
                    struct.pack_into("<I", data, at + size_at, declared)
                at = data.find(signature, at + 4)
    return bytes(data)


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
XLSX_UNREADABLE = (
    "The file is not a readable Excel workbook (.xlsx): it may be damaged, password-protected or another "
    "kind of file"
)

# (file name, its bytes, the reason given after "Nothing was imported…: ")
UNREADABLE: list[tuple[str, Callable[[], bytes], str]] = [
    ("corrupt.xlsx", lambda: b"PK\x03\x04" + b"\x00garbage" * 64, XLSX_UNREADABLE),
    ("truncated.xlsx", lambda: CUSTOMER[: len(CUSTOMER) // 2], XLSX_UNREADABLE),
    ("a-csv.xlsx", lambda: "code,name,type\nNBF001,宁波远洋,货代公司\n".encode(), XLSX_UNREADABLE),
    ("a-picture.xlsx", lambda: PNG, XLSX_UNREADABLE),
    ("no-sheet-part.xlsx", lambda: rezip(CUSTOMER, {SHEET: None}), "The workbook has no worksheet"),
    ("not-xml.xlsx", lambda: rezip(CUSTOMER, {SHEET: sheet_xml(HEADER + b"<row")}), XLSX_UNREADABLE),
    (
        "not-a-number.xlsx",
        lambda: rezip(CUSTOMER, {SHEET: sheet_xml(b'<row r="1"><c r="A1"><v>x</v></c></row>')}),
        XLSX_UNREADABLE,
    ),
    ("billion-laughs.xlsx", billion_laughs, XLSX_UNREADABLE),
    ("charts-only.xlsx", chartsheet_only, "The workbook has no worksheet"),
    ("bomb.xlsx", lambda: inflating(300), "The workbook unpacks to more than 256 MB: split it"),
    ("bomb-in-disguise.xlsx", lambda: inflating(300, declared=1000), XLSX_UNREADABLE),
    (
        "far-down.xlsx",
        lambda: rezip(CUSTOMER, {SHEET: sheet_xml(HEADER + row_xml(1048576, ("A1048576", "x")))}),
        "The file has more than 100000 rows: split it",
    ),
    (
        "far-right.xlsx",
        lambda: rezip(CUSTOMER, {SHEET: sheet_xml(HEADER + row_xml(2, ("XFD2", "x")))}),
        "Row 2 goes beyond column 100: a file may have at most 100 columns",
    ),
    ("empty.xlsx", lambda: b"", "The file is empty: the first row must name the columns"),
    ("empty.csv", lambda: b"", "The file is empty: the first row must name the columns"),
    (
        "latin1.csv",
        lambda: "code,name,type\nC1,Café Ñandú\xff,货主\n".encode("latin-1", "replace"),
        "The file is neither UTF-8 nor GB18030 text",
    ),
    (
        "huge-cell.csv",
        lambda: b'code,name,type\nC1,"' + b"x" * 200_000 + b'",forwarder\n',
        "Row 2 has a cell longer than 131072 characters (or a quote that is never closed)",
    ),
    (
        "open-quote.csv",
        lambda: b'code,name,type\nC1,"Ningbo Ocean,forwarder\nC2,Other,forwarder\n',
        "Row 2 is not valid CSV: a quoted cell is not closed, or text follows its closing quote",
    ),
    (
        "too-many-rows.csv",
        lambda: b"code,name,type\n" + b"C1,n,forwarder\n" * 100_001,
        "The file has more than 100000 rows: split it",
    ),
    (
        "too-wide.csv",
        lambda: b"code,name,type" + b"".join(b",extra%d" % n for n in range(100)) + b"\n",
        "Row 1 goes beyond column 100: a file may have at most 100 columns",
    ),
    (
        "control-in-header.csv",
        lambda: b"code,na\x1b[2Jme,type\nC1,n,forwarder\n",
        "Row 1, column 2: a column name contains a control character (U+001B)",
    ),
]
