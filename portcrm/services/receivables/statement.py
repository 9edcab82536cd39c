"""A customer's statement of account (对账单) as a file: its company's open invoices and recent payments.

Only the customer asking is read (the id comes from the linked Telegram account, never from a button): no
other company's row can be in it. Internal marks (legal action, alerts) are not the customer's to see.
Totals and credit come from balance.py, like /balance's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import N_, NotFound
from portcrm.models import Customer, Invoice, Payment
from portcrm.services.exports.workbook import Sheet
from portcrm.services.receivables.balance import customer_balance
from portcrm.services.receivables.ledger import is_open
from portcrm.storage.transaction import transactional

PAYMENT_DAYS = 180  # how far back "recent payments" reach
SUMMARY = (
    N_("Customer"),
    N_("As of"),
    N_("Currency"),
    N_("Outstanding"),
    N_("Overdue"),
    N_("Credit limit"),
    N_("Available credit"),
)
INVOICES = (
    N_("Invoice"),
    N_("Issued"),
    N_("Due"),
    N_("Amount"),
    N_("Paid"),
    N_("Outstanding"),
    N_("Currency"),
    N_("Days overdue"),
    N_("Description"),
)
PAYMENTS = (N_("Payment reference"), N_("Invoice"), N_("Paid on"), N_("Amount"), N_("Currency"))


@dataclass(frozen=True, slots=True)
class Statement:
    code: str
    name: str
    as_of: dt.date
    open_invoices: int
    payments: int
    sheets: list[Sheet]


@transactional
async def statement(session: AsyncSession, customer_id: int, today: dt.date) -> Statement:
    """The statement of one customer as of `today` (the port's date): summary, open invoices, payments."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound()
    balance = await customer_balance(session, customer_id, today, listed=0)
    credit = balance.credit
    overdue = {total.currency: total.overdue for total in balance.totals}
    summary = [
        [
            customer.name,
            today,
            exposure.currency,
            exposure.outstanding,
            overdue.get(exposure.currency, Decimal("0")),
            exposure.limit,
            credit.available if credit is not None and exposure.limit is not None else None,
        ]
        for exposure in balance.exposures
    ]
    invoices = [
        [
            i.number,
            i.issued_on,
            i.due_on,
            i.amount,
            i.paid_amount,
            i.outstanding,
            i.currency,
            days,
            i.description,
        ]
        for i in await session.scalars(
            select(Invoice)
            .where(Invoice.customer_id == customer_id, is_open())
            .order_by(Invoice.due_on, Invoice.number)
        )
        for days in [max((today - i.due_on).days, 0)]
    ]
    payments = [
        list(row)
        for row in await session.execute(
            select(Payment.reference, Invoice.number, Payment.paid_on, Payment.amount, Payment.currency)
            .outerjoin(Invoice, Invoice.id == Payment.invoice_id)
            .where(Payment.customer_id == customer_id, Payment.paid_on >= today - dt.timedelta(PAYMENT_DAYS))
            .order_by(Payment.paid_on.desc(), Payment.id.desc())
        )
    ]
    sheets = [
        Sheet(N_("Summary"), SUMMARY, summary),
        Sheet(N_("Open invoices"), INVOICES, invoices),
        Sheet(N_("Recent payments"), PAYMENTS, payments),
    ]
    return Statement(customer.code, customer.name, today, len(invoices), len(payments), sheets)
