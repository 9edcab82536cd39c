"""Receivables by age: the open ledger as it stands on a day, its overdue buckets and the largest debtors.

Open means what `ledger.is_open` says; an invoice is overdue from the day after it falls due, and amounts in
different currencies are never added together.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.models import Customer, Invoice
from portcrm.services.receivables.ledger import is_open
from portcrm.storage.transaction import transaction

PAGE = 10
TOP_DEBTORS = 10


class Bucket(enum.StrEnum):
    """Days overdue: 1–30, 31–60, 61–90 and over 90."""

    D30 = "30"
    D60 = "60"
    D90 = "90"
    OVER90 = "90+"


def bucket_of(days_overdue: int) -> Bucket | None:
    """None while the invoice is not yet overdue."""
    if days_overdue <= 0:
        return None
    if days_overdue <= 30:
        return Bucket.D30
    if days_overdue <= 60:
        return Bucket.D60
    return Bucket.D90 if days_overdue <= 90 else Bucket.OVER90


@dataclass(frozen=True, slots=True)
class LedgerRow:
    invoice_id: int
    customer_code: str
    customer_name: str
    number: str
    issued_on: dt.date
    due_on: dt.date
    amount: Decimal
    paid: Decimal
    currency: str
    days_overdue: int
    legal_action_since: dt.date | None

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid

    @property
    def bucket(self) -> Bucket | None:
        return bucket_of(self.days_overdue)


@dataclass(frozen=True, slots=True)
class BucketSummary:
    bucket: Bucket
    count: int
    totals: dict[str, Decimal]  # outstanding by currency code


@dataclass(frozen=True, slots=True)
class Debtor:
    code: str
    name: str
    totals: dict[str, Decimal]  # overdue by currency code


@dataclass(frozen=True, slots=True)
class Ageing:
    as_of: dt.date
    buckets: list[BucketSummary]
    debtors: list[Debtor]  # the largest first


@dataclass(frozen=True, slots=True)
class BucketPage:
    bucket: Bucket
    page: int
    pages: int
    rows: list[LedgerRow]


async def ledger_rows(session: AsyncSession, today: dt.date) -> list[LedgerRow]:
    """Every open invoice with its customer, oldest due first: the ledger as it stands on `today`."""
    async with transaction(session):
        result = await session.execute(
            select(Invoice, Customer.code, Customer.name)
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(is_open())
            .order_by(Invoice.due_on, Invoice.number)
        )
        return [
            LedgerRow(
                i.id,
                code,
                name,
                i.number,
                i.issued_on,
                i.due_on,
                i.amount,
                i.paid_amount,
                i.currency,
                max((today - i.due_on).days, 0),
                i.legal_action_since,
            )
            for i, code, name in result
        ]


async def ageing(session: AsyncSession, today: dt.date, currency: str = "CNY") -> Ageing:
    """Overdue receivables by bucket, and the largest overdue customers (ranked by their `currency`
    total, then by the other currencies': amounts in different currencies are never converted)."""
    overdue = [row for row in await ledger_rows(session, today) if row.bucket is not None]
    counts: defaultdict[Bucket, int] = defaultdict(int)
    totals: defaultdict[Bucket, defaultdict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    debtors: dict[str, tuple[str, defaultdict[str, Decimal]]] = {}
    for row in overdue:
        assert row.bucket is not None
        counts[row.bucket] += 1
        totals[row.bucket][row.currency] += row.outstanding
        debtor = debtors.setdefault(row.customer_code, (row.customer_name, defaultdict(Decimal)))
        debtor[1][row.currency] += row.outstanding
    ranked = sorted(
        debtors.items(),
        key=lambda item: (-item[1][1].get(currency, Decimal(0)), -sum(item[1][1].values()), item[0]),
    )
    return Ageing(
        as_of=today,
        buckets=[BucketSummary(b, counts[b], dict(sorted(totals[b].items()))) for b in Bucket],
        debtors=[Debtor(code, name, dict(sorted(t.items()))) for code, (name, t) in ranked[:TOP_DEBTORS]],
    )


async def bucket_page(session: AsyncSession, today: dt.date, bucket: Bucket, page: int) -> BucketPage:
    """One page of a bucket's invoices, the longest overdue first; a page past the end shows the last."""
    rows = [row for row in await ledger_rows(session, today) if row.bucket is bucket]
    pages = max((len(rows) + PAGE - 1) // PAGE, 1)
    page = min(max(page, 0), pages - 1)
    return BucketPage(bucket, page, pages, rows[page * PAGE : (page + 1) * PAGE])
