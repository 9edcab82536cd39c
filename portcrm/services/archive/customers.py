"""Finding a customer the way staff name one: by its code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import N_, NotFound
from portcrm.models import Customer


async def by_code(session: AsyncSession, code: str) -> Customer:
    """The customer with this code (case and surrounding blanks ignored); the caller ends the transaction."""
    customer = await session.scalar(select(Customer).where(Customer.code == code.strip().upper()))
    if customer is None:
        raise NotFound(N_("No customer with code {code}."), code=code)
    return customer
