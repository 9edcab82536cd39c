"""Finding a customer the way staff name one: by its code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CustomerStatus
from portcrm.errors import N_, NotFound
from portcrm.models import Customer
from portcrm.storage.transaction import transaction


class CustomerNotFound(NotFound):
    """No customer to work with: unknown and no longer active are one answer where only active ones count."""

    message = N_("That customer was not found or is no longer active.")


async def by_code(session: AsyncSession, code: str, *, active_only: bool = False) -> Customer:
    """The customer with this code (case and surrounding blanks ignored); `active_only` for work that only
    an active customer takes (a visit), where any other is reported as not found.

    Not finding one is raised after the read's transaction has ended: a rollback would expire whatever the
    caller holds loaded in the session.
    """
    query = select(Customer).where(Customer.code == code.strip().upper())
    if active_only:
        query = query.where(Customer.status == CustomerStatus.ACTIVE)
    async with transaction(session):
        customer = await session.scalar(query)
    if customer is None and active_only:
        raise CustomerNotFound(N_("No active customer with code {code}."), code=code.strip())
    if customer is None:
        raise NotFound(N_("No customer with code {code}."), code=code)
    return customer
