"""A customer's credit: the rating finance gives it and its credit limits, each new limit in force from a day.

Limits are never overwritten, so the history shows who allowed how much and when. Changes are audited by the
session hook under the staff member set as the actor.
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
from portcrm.storage.transaction import transaction, transactional

LIMIT_HISTORY = 10


@dataclass(frozen=True, slots=True)
class CreditCard:
    customer_id: int
    code: str
    name: str
    rating: CreditRating | None
    limits: list[CreditLimit] = field(default_factory=list)  # the newest first


async def credit_card(session: AsyncSession, code: str) -> CreditCard:
    """The customer's rating and its latest limits, the newest first."""
    async with transaction(session):
        customer = await customers.by_code(session, code)
        limits = await session.scalars(
            select(CreditLimit)
            .where(CreditLimit.customer_id == customer.id)
            .order_by(CreditLimit.effective_from.desc(), CreditLimit.id.desc())
            .limit(LIMIT_HISTORY)
        )
        return CreditCard(customer.id, customer.code, customer.name, customer.credit_rating, list(limits))


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
) -> tuple[Customer, CreditLimit]:
    """A new limit in force from today, in the customer's currency unless another is named."""
    customer = await customers.by_code(session, code)
    if amount < 0:
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
    return customer, limit
