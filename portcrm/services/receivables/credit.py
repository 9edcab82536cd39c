"""A customer's credit: the rating finance gives it and its credit limits, each new limit in force from a day.

Limits are never overwritten, so the history shows who allowed how much and when. Changes are audited by the
session hook under the staff member set as the actor. A new limit below the customer's current exposure in
its currency (balance.py) puts the customer over it at once: it is written only once confirmed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.enums import CreditRating
from portcrm.errors import N_, InvalidInput, NotFound
from portcrm.models import CreditLimit, Customer
from portcrm.services.archive import customers
from portcrm.services.receivables.balance import Exposure, customer_balance
from portcrm.storage.transaction import transaction, transactional

LIMIT_HISTORY = 10


@dataclass(frozen=True, slots=True)
class CreditCard:
    customer_id: int
    code: str
    name: str
    rating: CreditRating | None
    limits: list[CreditLimit] = field(default_factory=list)  # the newest first
    exposures: list[Exposure] = field(default_factory=list)  # per currency, as of today


@dataclass(frozen=True, slots=True)
class LimitChange:
    """A new limit asked for, against the exposure in its currency; `limit` None: unconfirmed, not written."""

    customer: Customer
    amount: Decimal
    currency: str
    exposure: Exposure
    limit: CreditLimit | None

    @property
    def below_exposure(self) -> bool:
        return self.exposure.over


async def credit_card(session: AsyncSession, code: str, today: dt.date) -> CreditCard:
    """The customer's rating, its latest limits (the newest first) and its exposure per currency today."""
    async with transaction(session):
        customer = await customers.by_code(session, code)
        limits = await session.scalars(
            select(CreditLimit)
            .where(CreditLimit.customer_id == customer.id)
            .order_by(CreditLimit.effective_from.desc(), CreditLimit.id.desc())
            .limit(LIMIT_HISTORY)
        )
        balance = await customer_balance(session, customer.id, today, listed=0)
        return CreditCard(
            customer.id, customer.code, customer.name, customer.credit_rating, list(limits), balance.exposures
        )


@transactional
async def set_rating(
    session: AsyncSession, customer_id: int, rating: CreditRating, *, staff_id: int
) -> Customer:
    customer = await session.get(Customer, customer_id, with_for_update=True)
    if customer is None:
        raise NotFound()
    set_actor(session, Actor(label=f"staff:{staff_id}", source="chat", staff_id=staff_id))
    customer.credit_rating = rating
    return customer


@transactional
async def set_limit(
    session: AsyncSession,
    code: str,
    amount: Decimal,
    currency: str | None,
    reason: str | None,
    *,
    staff_id: int,
    today: dt.date,
    confirmed: bool = False,
) -> LimitChange:
    """A new limit in force from today, in the customer's currency unless another is named.

    Below the customer's exposure in that currency it is written only when `confirmed`; otherwise nothing
    changes and the returned change (its `limit` None) carries the figures to ask with.
    """
    customer = await customers.by_code(session, code)
    if amount < 0:
        raise InvalidInput(N_("Must not be negative: {value}"), value=str(amount))
    currency = currency or customer.currency
    balance = await customer_balance(session, customer.id, today, listed=0)
    exposure = Exposure(currency, balance.exposure_in(currency), amount)
    if exposure.over and not confirmed:
        return LimitChange(customer, amount, currency, exposure, None)
    set_actor(session, Actor(label=f"staff:{staff_id}", source="chat", staff_id=staff_id))
    limit = CreditLimit(
        customer_id=customer.id,
        amount=amount,
        currency=currency,
        effective_from=today,
        set_by_id=staff_id,
        reason=(reason or None) and reason[:500],
    )
    session.add(limit)
    return LimitChange(customer, amount, currency, exposure, limit)
