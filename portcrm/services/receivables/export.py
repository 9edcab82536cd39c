"""The receivables ledger as an .xlsx workbook: one row per open invoice, and a totals sheet per currency.

Amounts are written as numbers (not text) so finance can sum and filter in Excel; the totals are computed
from the same rows, so they equal the ledger in the database. Labels come translated from the caller.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from portcrm.errors import N_
from portcrm.services.receivables.ageing import Bucket, LedgerRow

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

LEDGER_COLUMNS = (
    N_("Customer code"),
    N_("Customer"),
    N_("Invoice"),
    N_("Issued"),
    N_("Due"),
    N_("Amount"),
    N_("Paid"),
    N_("Outstanding"),
    N_("Currency"),
    N_("Days overdue"),
    N_("Bucket"),
    N_("Legal action since"),
)
TOTAL_COLUMNS = (N_("Currency"), N_("Invoices"), N_("Amount"), N_("Paid"), N_("Outstanding"), N_("Overdue"))
BUCKET_NAMES = {
    Bucket.D30: N_("1–30 days"),
    Bucket.D60: N_("31–60 days"),
    Bucket.D90: N_("61–90 days"),
    Bucket.OVER90: N_("Over 90 days"),
}
_MONEY = "#,##0.00"


def ledger_xlsx(rows: Sequence[LedgerRow], gettext: Callable[[str], str] = str) -> bytes:
    """The workbook's bytes; `gettext` translates headers and bucket names into the reader's language."""
    from openpyxl import Workbook  # loaded on the first export, not at the bot's start-up
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = gettext(N_("Ledger"))[:31]
    sheet.append([gettext(name) for name in LEDGER_COLUMNS])
    for row in rows:
        sheet.append(
            [
                row.customer_code,
                row.customer_name,
                row.number,
                row.issued_on,
                row.due_on,
                row.amount,
                row.paid,
                row.outstanding,
                row.currency,
                row.days_overdue,
                gettext(BUCKET_NAMES[row.bucket]) if row.bucket else gettext(N_("Not yet due")),
                row.legal_action_since,
            ]
        )
    _formats(sheet, money=(6, 7, 8), dates=(4, 5, 12))
    totals = book.create_sheet(gettext(N_("Totals"))[:31])
    totals.append([gettext(name) for name in TOTAL_COLUMNS])
    for currency, values in _totals(rows).items():
        totals.append([currency, *values])
    _formats(totals, money=(3, 4, 5, 6), dates=())
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _totals(rows: Sequence[LedgerRow]) -> dict[str, list[Decimal | int]]:
    sums: defaultdict[str, list[Decimal | int]] = defaultdict(
        lambda: [0, Decimal(0), Decimal(0), Decimal(0), Decimal(0)]
    )
    for row in rows:
        line = sums[row.currency]
        line[0] += 1
        line[1] += row.amount
        line[2] += row.paid
        line[3] += row.outstanding
        if row.days_overdue:
            line[4] += row.outstanding
    return dict(sorted(sums.items()))


def _formats(sheet: Worksheet, *, money: tuple[int, ...], dates: tuple[int, ...]) -> None:
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.column in money:
                cell.number_format = _MONEY
            elif cell.column in dates:
                cell.number_format = "yyyy-mm-dd"
