"""The one .xlsx writer: sheets of rows, headers and labels translated by the reader's gettext.

Services describe a workbook as `Sheet`s whose titles and headers are message ids and whose cells are plain
values; only this module knows openpyxl (loaded on the first export, not at the bot's start-up). A cell is
written by its type, so Excel can sum and filter: a `Decimal` as a number with cents, a date as a date, an
aware datetime on the port's clock to the minute, a `Label` or a bool translated, anything else as text.
Text is always text: a value typed by a customer that starts with "=" never becomes a formula on a colleague's
machine, and characters XML cannot hold are dropped rather than failing the export.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from portcrm.errors import N_

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

Gettext = Callable[[str], str]
YES, NO = N_("Yes"), N_("No")
MONEY_FORMAT = "#,##0.00"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XML 1.0 cannot hold
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_WIDEST = 60


@dataclass(frozen=True, slots=True)
class Label:
    """A cell holding a message id, translated when written (an enum's name, a field's name)."""

    msgid: str


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str  # message id; at most 31 characters once translated
    headers: Sequence[str]  # message ids
    rows: Iterable[Sequence[Any]]


def xlsx(sheets: Sequence[Sheet], gettext: Gettext = str, tz: dt.tzinfo = dt.UTC) -> bytes:
    """The workbook's bytes, in the language of `gettext`, datetimes on the clock of `tz`."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]  # a fresh workbook has one sheet
    for sheet in sheets:
        page = book.create_sheet(_title(gettext(sheet.title)))
        page.append([gettext(header) for header in sheet.headers])
        for row in sheet.rows:
            page.append([_value(cell, gettext, tz) for cell in row])
        _format(page)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _title(text: str) -> str:
    return _TITLE_FORBIDDEN.sub("-", text)[:31] or "-"


def _value(cell: Any, gettext: Gettext, tz: dt.tzinfo) -> Any:
    if isinstance(cell, Label):
        return gettext(cell.msgid)
    if isinstance(cell, bool):
        return gettext(YES if cell else NO)
    if isinstance(cell, dt.datetime):
        return cell.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)
    if isinstance(cell, str):
        return _ILLEGAL.sub("", cell)
    return cell


def _format(page: Worksheet) -> None:
    """Numbers and dates by their type, a frozen header, and columns about as wide as their text."""
    widths: dict[str, int] = {}
    for row in page.iter_rows():
        for cell in row:
            value = cell.value
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula
            elif isinstance(value, Decimal):
                cell.number_format = MONEY_FORMAT
            elif isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            letter = cell.column_letter
            widths[letter] = max(widths.get(letter, 0), _width(value))
    for letter, width in widths.items():
        page.column_dimensions[letter].width = min(width + 2, _WIDEST)
    page.freeze_panes = "A2"


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    text = str(value).split("\n", 1)[0]
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
