"""A customer's balance: open invoices, overdue days, totals per currency and the credit still available.

Amounts in different currencies are never converted: each currency has its own total, and the credit
limit is set against the outstanding total in the limit's own currency only. That total is the credit
exposure (`Balance.exposures`, per currency), what /credit shows and what a new limit is checked against.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import NotFound
from portcrm.models import CreditLimit, Customer, Invoice
from portcrm.storage.transaction import transactional

DEFAULT_LISTED = 15


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    number: str
    due_on: dt.date
    outstanding: Decimal
    currency: str
    days_overdue: int  # 0 when not yet due


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    currency: str
    outstanding: Decimal
    overdue: Decimal


@dataclass(frozen=True, slots=True)
class Credit:
    limit: Decimal
    currency: str
    effective_from: dt.date
    available: Decimal  # negative when the customer is over the limit


@dataclass(frozen=True, slots=True)
class Exposure:
    """What one currency's open invoices add up to, against the limit in force if it is in that currency."""

    currency: str
    outstanding: Decimal
    limit: Decimal | None  # None: the limit in force is in another currency, or there is none

    @property
    def used(self) -> Decimal | None:
        """The share of the limit in use (1 is all of it); None without a limit, or a zero limit."""
        return self.outstanding / self.limit if self.limit else None

    @property
    def over(self) -> bool:
        return self.limit is not None and self.outstanding > self.limit


@dataclass(frozen=True, slots=True)
class Balance:
    customer_name: str
    as_of: dt.date
    invoices: list[OpenInvoice]  # the oldest due first, at most the number asked for
    more: int  # open invoices not listed; the totals still count them
    totals: list[CurrencyTotal]  # by currency code
    credit: Credit | None

    @property
    def exposures(self) -> list[Exposure]:
        """Per currency (by code): the outstanding total, and the limit beside the currency it is set in."""
        outstanding = {total.currency: total.outstanding for total in self.totals}
        if self.credit is not None:
            outstanding.setdefault(self.credit.currency, Decimal("0"))
        return [
            Exposure(
                code, amount, self.credit.limit if self.credit and self.credit.currency == code else None
            )
            for code, amount in sorted(outstanding.items())
        ]

    def exposure_in(self, currency: str) -> Decimal:
        """The outstanding total in one currency (what a limit in that currency is set against)."""
        return next((t.outstanding for t in self.totals if t.currency == currency), Decimal("0"))


@transactional
async def customer_balance(
    session: AsyncSession, customer_id: int, today: dt.date, listed: int = DEFAULT_LISTED
) -> Balance:
    """The balance of one customer as of `today` (the port's local date)."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound()
    rows = await session.execute(
        select(Invoice.number, Invoice.due_on, Invoice.amount, Invoice.paid_amount, Invoice.currency)
        .where(Invoice.customer_id == customer_id, Invoice.settled.is_(False))
        .order_by(Invoice.due_on, Invoice.number)
    )
    open_invoices = [
        OpenInvoice(number, due_on, amount - paid, currency, max((today - due_on).days, 0))
        for number, due_on, amount, paid, currency in rows
        if amount - paid > 0
    ]
    limit = await session.scalar(
        select(CreditLimit)
        .where(CreditLimit.customer_id == customer_id, CreditLimit.effective_from <= today)
        .order_by(CreditLimit.effective_from.desc(), CreditLimit.id.desc())
        .limit(1)
    )
    totals = _totals(open_invoices)
    credit = None
    if limit is not None:
        used = next((t.outstanding for t in totals if t.currency == limit.currency), Decimal("0"))
        credit = Credit(limit.amount, limit.currency, limit.effective_from, limit.amount - used)
    return Balance(
        customer_name=customer.name,
        as_of=today,
        invoices=open_invoices[:listed],
        more=max(len(open_invoices) - listed, 0),
        totals=totals,
        credit=credit,
    )


def _totals(invoices: list[OpenInvoice]) -> list[CurrencyTotal]:
    outstanding: defaultdict[str, Decimal] = defaultdict(Decimal)
    overdue: defaultdict[str, Decimal] = defaultdict(Decimal)
    for invoice in invoices:
        outstanding[invoice.currency] += invoice.outstanding
        if invoice.days_overdue:
            overdue[invoice.currency] += invoice.outstanding
    return [CurrencyTotal(code, outstanding[code], overdue[code]) for code in sorted(outstanding)]
