"""Reading CSV (UTF-8, UTF-8 with BOM, GB18030) and xlsx files into numbered rows of text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import InvalidInput
from portcrm.importing import read_table
from portcrm.models import Customer
from tests.importing.hostile import CUSTOMER, SHEET, rezip, row_xml, sheet_xml
from tests.importing.hostile import HEADER as HEADER_XML
from tests.importing.support import Run

HEADER = "code,name,type,founded_on\n"
ROW = "NBF001,宁波远洋国际货运代理有限公司,货代公司,2009-03-18\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_reads_csv_in_the_encodings_chinese_excel_writes(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + ROW, encoding=encoding)

    assert read_table(path) == [
        (
            2,
            {
                "code": "NBF001",
                "name": "宁波远洋国际货运代理有限公司",
                "type": "货代公司",
                "founded_on": "2009-03-18",
            },
        )
    ]


def test_blank_rows_are_skipped_but_keep_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + ",,,\n\n" + ROW + "NBF002,short,货主\n", encoding="utf-8")

    rows = read_table(path)

    assert [number for number, _ in rows] == [4, 5]
    assert rows[1][1]["founded_on"] == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "The file is empty: the first row must name the columns"),
        ("\n,,\n\n", "The file is empty: the first row must name the columns"),
        ("code,name,code\n", "Column {column} appears twice in the header"),
        ("code,name\nC1,n,extra\n", "Row {row} has more cells than the header has columns"),
        ("code,,name\nC1,x,n\n", "Column {index} has data but no header"),
    ],
)
def test_malformed_tables_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        read_table(path)
    assert caught.value.message == message


def test_undecodable_bytes_and_other_file_types_are_refused(tmp_path: Path) -> None:
    binary = tmp_path / "bad.csv"
    binary.write_bytes(b"code,name\n\xff\xff\xff\n")
    with pytest.raises(InvalidInput):
        read_table(binary)
    with pytest.raises(InvalidInput):
        read_table(tmp_path / "customers.xls")


def _workbook(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        ["code", "name", "type", "founded_on", "registered_capital", "annual_volume_teu", "bank_account"]
    )
    sheet.append(
        [
            "NBF001",
            "宁波远洋国际货运代理有限公司",
            "货代公司",
            dt.datetime(2009, 3, 18),
            20000000.5,
            48000,
            "3901140009000123456",
        ]
    )
    sheet.append([None] * 7)
    sheet.append(
        ["ZJC004", "浙江华宇家电制造有限公司", "cargo_owner", dt.date(2013, 11, 22), 12000000, 3600.0, None]
    )
    book.create_sheet("ignored").append(["not", "read"])
    book.save(path)
    book.close()


def test_reads_the_first_sheet_of_an_xlsx_as_typed_text(tmp_path: Path) -> None:
    path = tmp_path / "customers.xlsx"
    _workbook(path)

    rows = read_table(path)

    assert [number for number, _ in rows] == [2, 4]
    first, second = rows[0][1], rows[1][1]
    assert (first["founded_on"], first["registered_capital"], first["annual_volume_teu"]) == (
        "2009-03-18 00:00",
        "20000000.5",
        "48000",
    )
    assert (second["founded_on"], second["annual_volume_teu"], second["bank_account"]) == (
        "2013-11-22 00:00",
        "3600",
        "",
    )


async def test_an_xlsx_imports_like_a_csv(session: AsyncSession, tmp_path: Path, run_file: Run) -> None:
    path = tmp_path / "customers.xlsx"
    _workbook(path)

    report = await run_file("customers", path)

    assert report.ok, report.errors
    assert report.created == 2
    customer = await session.scalar(select(Customer).where(Customer.code == "NBF001"))
    assert customer is not None
    assert customer.founded_on == dt.date(2009, 3, 18)
    assert customer.bank_account == "3901140009000123456"


async def test_a_gb18030_csv_imports(session: AsyncSession, tmp_path: Path, run_file: Run) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + ROW, encoding="gb18030")

    report = await run_file("customers", path)

    assert report.ok
    assert (
        await session.scalar(select(Customer.name).where(Customer.code == "NBF001"))
        == "宁波远洋国际货运代理有限公司"
    )


def test_a_header_without_rows_still_names_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(" Code ,,name\n,,\n", encoding="utf-8")

    table = read_table(path)

    assert (list(table), table.columns) == ([], ("code", "name"))


@pytest.mark.parametrize("dimension", [b'<dimension ref="A1"/>', b'<dimension ref="A1:XFD1048576"/>'])
def test_a_workbook_that_misstates_its_size_is_read_as_it_is(tmp_path: Path, dimension: bytes) -> None:
    """Some tools write a wrong <dimension>: it may neither hide rows and columns nor pad 16384 columns."""
    rows = HEADER_XML + row_xml(2, ("A2", "NBF001"), ("B2", "宁波远洋"), ("C2", "货代公司"))
    path = tmp_path / "customers.xlsx"
    path.write_bytes(rezip(CUSTOMER, {SHEET: sheet_xml(rows, dimension=dimension)}))

    assert read_table(path) == [(2, {"code": "NBF001", "name": "宁波远洋", "type": "货代公司"})]
