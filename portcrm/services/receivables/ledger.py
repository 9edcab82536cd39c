"""The receivables ledger (应收账款台账) as scheduled work reads it, and who hears about it.

An invoice is open while it is not settled and something is still outstanding: an invoice paid in full is
treated as settled even before anyone ticks the flag, so a payment stops the dunning ladder at once. Totals
and credit in force come from `portcrm.services.receivables.balance`, never recomputed here.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.models import ChatUser, Contact, Customer, Invoice
from portcrm.services.recipients.language import recipient_locale
from portcrm.settings import Locale

MAX_MESSAGE = 4096


def is_open() -> ColumnElement[bool]:
    return Invoice.settled.is_(False) & (Invoice.amount > Invoice.paid_amount)


@dataclass(frozen=True, slots=True)
class LedgerInvoice:
    id: int
    number: str
    customer_id: int
    customer_name: str
    account_manager_id: int | None
    due_on: dt.date
    outstanding: Decimal
    currency: str
    days_overdue: int


async def _ledger(
    session: AsyncSession, today: dt.date, *conditions: ColumnElement[bool]
) -> list[LedgerInvoice]:
    """Open invoices meeting the conditions, with their customer, oldest due first."""
    rows = await session.execute(
        select(
            Invoice.id,
            Invoice.number,
            Invoice.customer_id,
            Customer.name,
            Customer.account_manager_id,
            Invoice.due_on,
            Invoice.amount - Invoice.paid_amount,
            Invoice.currency,
        )
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(is_open(), *conditions)
        .order_by(Invoice.due_on, Invoice.number)
    )
    return [
        LedgerInvoice(id_, number, customer_id, name, manager_id, due_on, outstanding, currency, days)
        for id_, number, customer_id, name, manager_id, due_on, outstanding, currency in rows
        for days in [max((today - due_on).days, 0)]
    ]


async def newly_overdue(session: AsyncSession, today: dt.date) -> list[LedgerInvoice]:
    """Open invoices past their due date whose overdue alert has not gone out yet, oldest due first."""
    return await _ledger(session, today, Invoice.due_on < today, Invoice.overdue_alerted_on.is_(None))


async def mark_overdue_alerted(session: AsyncSession, invoice_ids: Iterable[int], today: dt.date) -> None:
    """Record, in the caller's transaction, that these invoices' overdue alert went out."""
    await session.execute(
        update(Invoice).where(Invoice.id.in_(list(invoice_ids))).values(overdue_alerted_on=today)
    )


async def dunning_customers(session: AsyncSession, today: dt.date, ladder: Iterable[int]) -> list[int]:
    """Customers with an open invoice exactly on a rung today: a rung counts days after the due date."""
    due_dates = {today - dt.timedelta(days=rung) for rung in ladder}
    if not due_dates:
        return []
    rows = await session.scalars(
        select(Invoice.customer_id)
        .where(is_open(), Invoice.due_on.in_(due_dates))
        .distinct()
        .order_by(Invoice.customer_id)
    )
    return list(rows)


async def statement_contact(
    session: AsyncSession, customer_id: int, default_locale: Locale
) -> tuple[Contact, Locale] | None:
    """The billing contact, else the primary one, who can be reached: on Telegram without having blocked
    the bot, or by e-mail (recipients/channel.py: an address and no Telegram account, or e-mail chosen)."""
    by_mail = Contact.email.is_not(None) & (
        Contact.telegram_user_id.is_(None) | Contact.prefers_email.is_(True)
    )
    in_chat = Contact.telegram_user_id.is_not(None) & ChatUser.blocked_at.is_(None)
    rows = await session.execute(
        select(Contact, ChatUser)
        .outerjoin(ChatUser, ChatUser.telegram_user_id == Contact.telegram_user_id)
        .where(
            Contact.customer_id == customer_id,
            Contact.erased_at.is_(None),
            by_mail | in_chat,
            Contact.is_billing.is_(True) | Contact.is_primary.is_(True),
        )
        .order_by(Contact.is_billing.desc(), Contact.is_primary.desc(), Contact.id)
        .limit(1)
    )
    row = rows.first()
    if row is None:
        return None
    contact, user = row
    return contact, recipient_locale(user, contact.locale, default_locale)


async def flag_legal_action(session: AsyncSession, today: dt.date, after_days: int) -> list[LedgerInvoice]:
    """Flag open invoices overdue more than `after_days` for legal recovery (法律手段追讨), in the caller's
    transaction (the audit hook records it); returns those newly flagged."""
    limit = today - dt.timedelta(days=after_days)
    flagged = await _ledger(session, today, Invoice.due_on < limit, Invoice.legal_action_since.is_(None))
    for invoice in flagged:
        row = await session.get(Invoice, invoice.id, with_for_update=True)
        if row is not None:
            row.legal_action_since = today
    return flagged


async def newest_open_invoice(session: AsyncSession, customer_id: int, currency: str) -> int | None:
    """The latest open invoice in one currency: a new one means a new crossing of the credit limit."""
    return await session.scalar(
        select(Invoice.id)
        .where(Invoice.customer_id == customer_id, Invoice.currency == currency, is_open())
        .order_by(Invoice.id.desc())
        .limit(1)
    )


def money(amount: Decimal, currency: str, locale: str) -> str:
    """An amount as the reader's language writes it (¥10,000.00, CN¥10,000.00…), escaped for HTML."""
    return html.escape(format_currency(amount, currency, locale=locale))


def day(value: dt.date, locale: str) -> str:
    return format_date(value, format="medium", locale=locale)


def fit(lines: list[str], limit: int = MAX_MESSAGE) -> str:
    """Telegram's 4096 characters: drop trailing lines for an ellipsis in the unlikely overflow."""
    text = "\n".join(lines)
    while len(text) > limit and len(lines) > 1:
        lines = lines[:-1]
        text = "\n".join([*lines, "…"])
    return text
