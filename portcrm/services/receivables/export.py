"""The receivables ledger as an .xlsx workbook: one row per open invoice, and a totals sheet per currency.

Amounts are written as numbers (not text) so finance can sum and filter in Excel; the totals are computed
from the same rows, so they equal the ledger in the database. Labels come translated from the caller; the
workbook itself is written by the one writer, `portcrm/services/exports/workbook.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal

from portcrm.errors import N_
from portcrm.services.exports.workbook import Label, Sheet, xlsx
from portcrm.services.receivables.ageing import Bucket, LedgerRow

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


def ledger_sheets(rows: Sequence[LedgerRow]) -> list[Sheet]:
    """The ledger, one row per open invoice, and its totals per currency."""
    ledger = [
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
            Label(BUCKET_NAMES[row.bucket] if row.bucket else N_("Not yet due")),
            row.legal_action_since,
        ]
        for row in rows
    ]
    totals = [[currency, *values] for currency, values in _totals(rows).items()]
    return [Sheet(N_("Ledger"), LEDGER_COLUMNS, ledger), Sheet(N_("Totals"), TOTAL_COLUMNS, totals)]


def ledger_xlsx(rows: Sequence[LedgerRow], gettext: Callable[[str], str] = str) -> bytes:
    """The workbook's bytes; `gettext` translates headers and bucket names into the reader's language."""
    return xlsx(ledger_sheets(rows), gettext)


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
