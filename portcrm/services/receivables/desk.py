"""The finance desk in chat: receivables by age, the ledger for export, credit and legal marks.

Open means what `portcrm.services.receivables.ledger.is_open` says; payments are payments.py's. Changes to
customers, credit limits and invoices are audited by the session hook, under the staff member set as the
actor.
"""

from __future__ import annotations

import datetime as dt
import enum
import html
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.enums import CreditRating, Role
from portcrm.errors import N_, Conflict, InvalidInput, NotFound
from portcrm.i18n import gettext_for
from portcrm.messaging import outbox
from portcrm.models import CreditLimit, Customer, Invoice
from portcrm.services.archive import customers
from portcrm.services.receivables.ledger import is_open
from portcrm.services.recipients import staff_alerts
from portcrm.settings import Settings

PAGE = 10
TOP_DEBTORS = 10
LIMIT_HISTORY = 10


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
    result = await session.execute(
        select(Invoice, Customer.code, Customer.name)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(is_open())
        .order_by(Invoice.due_on, Invoice.number)
    )
    rows = [
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
    await session.commit()
    return rows


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


@dataclass(frozen=True, slots=True)
class CreditCard:
    customer_id: int
    code: str
    name: str
    rating: CreditRating | None
    limits: list[CreditLimit] = field(default_factory=list)  # the newest first


async def customer_by_code(session: AsyncSession, code: str) -> Customer:
    try:
        return await customers.by_code(session, code)
    except NotFound:
        await session.rollback()
        raise


async def credit_card(session: AsyncSession, code: str) -> CreditCard:
    customer = await customer_by_code(session, code)
    limits = await session.scalars(
        select(CreditLimit)
        .where(CreditLimit.customer_id == customer.id)
        .order_by(CreditLimit.effective_from.desc(), CreditLimit.id.desc())
        .limit(LIMIT_HISTORY)
    )
    card = CreditCard(customer.id, customer.code, customer.name, customer.credit_rating, list(limits))
    await session.commit()
    return card


async def set_rating(
    session: AsyncSession, customer_id: int, rating: CreditRating, *, staff_id: int
) -> Customer:
    customer = await session.get(Customer, customer_id, with_for_update=True)
    if customer is None:
        await session.rollback()
        raise NotFound()
    set_actor(session, Actor(label=f"staff:{staff_id}", source="chat", staff_id=staff_id))
    customer.credit_rating = rating
    await session.commit()
    return customer


async def set_limit(
    session: AsyncSession,
    code: str,
    amount: Decimal,
    currency: str | None,
    reason: str | None,
    *,
    staff_id: int,
    today: dt.date,
) -> tuple[Customer, CreditLimit]:
    """A new limit in force from today; the history keeps the earlier ones."""
    customer = await customer_by_code(session, code)
    if amount < 0:
        await session.rollback()
        raise InvalidInput(N_("Must not be negative: {value}"), value=str(amount))
    set_actor(session, Actor(label=f"staff:{staff_id}", source="chat", staff_id=staff_id))
    limit = CreditLimit(
        customer_id=customer.id,
        amount=amount,
        currency=currency or customer.currency,
        effective_from=today,
        set_by_id=staff_id,
        reason=(reason or None) and reason[:500],
    )
    session.add(limit)
    await session.commit()
    return customer, limit


async def mark_legal(
    session: AsyncSession, invoice_id: int, *, staff_id: int, today: dt.date, settings: Settings
) -> Invoice:
    """Mark an open invoice for legal recovery once, and tell the managers in the same transaction."""
    invoice = await session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is None:
        await session.rollback()
        raise NotFound()
    number, since = invoice.number, invoice.legal_action_since
    if since is not None:
        await session.rollback()
        raise Conflict(
            N_("Invoice {number} is already marked for legal action since {date}."),
            number=number,
            date=since.isoformat(),
        )
    if invoice.settled or invoice.outstanding <= 0:
        await session.rollback()
        raise Conflict(N_("Invoice {number} is already paid."), number=number)
    customer = await session.get(Customer, invoice.customer_id)
    assert customer is not None
    set_actor(session, Actor(label=f"staff:{staff_id}", source="chat", staff_id=staff_id))
    invoice.legal_action_since = today
    for recipient in await staff_alerts.department(session, Role.MANAGER, settings):
        _ = gettext_for(recipient.locale)
        text = _(
            "⚖️ Invoice {number} of {company} ({outstanding} {currency} outstanding) was marked "
            "for legal action."
        ).format(
            number=html.escape(invoice.number),
            company=html.escape(customer.name),
            outstanding=invoice.outstanding,
            currency=invoice.currency,
        )
        await outbox.enqueue(
            session,
            key=f"legal:{invoice.id}:{recipient.tag}",
            kind="legal_action",
            chat_id=recipient.chat_id,
            text=text,
            staff_id=recipient.staff_id,
        )
    await session.commit()
    return invoice
