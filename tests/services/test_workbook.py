"""The one .xlsx writer: cells written by their type, labels translated, text never a formula."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from portcrm.i18n import gettext_for
from portcrm.services.exports.workbook import Label, Sheet, xlsx

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_cells_are_written_by_type_and_translated() -> None:
    moment = dt.datetime(2026, 12, 1, 1, 30, 45, tzinfo=dt.UTC)
    sheet = Sheet("Visits", ("Customer", "Amount"), [[Label("Delay"), Decimal("1234.50")], [True, moment]])
    book = load_workbook(io.BytesIO(xlsx([sheet], gettext_for("zh_CN"), SHANGHAI)))
    page = book.worksheets[0]
    zh = gettext_for("zh_CN")
    assert page.title == zh("Visits")
    assert [c.value for c in page[1]] == [zh("Customer"), zh("Amount")]
    assert page["A2"].value == zh("Delay")
    assert page["B2"].value == 1234.5
    assert page["B2"].number_format == "#,##0.00"
    assert page["A3"].value == zh("Yes")
    assert page["B3"].value == dt.datetime(2026, 12, 1, 9, 30), "the port's clock, to the minute"
    assert page.freeze_panes == "A2"


def test_typed_text_is_never_a_formula_nor_breaks_the_file() -> None:
    rows = [["=cmd|' /C calc'!A0", "bell\x07 and escape\x1b gone", "line\nbreak"]]
    book = load_workbook(io.BytesIO(xlsx([Sheet("a/b:c[d]", ("x", "y", "z"), rows)])))
    page = book.worksheets[0]
    assert page.title == "a-b-c-d-"
    assert (page["A2"].value, page["A2"].data_type) == ("=cmd|' /C calc'!A0", "s")
    assert page["B2"].value == "bell and escape gone"
    assert page["C2"].value == "line\nbreak"
