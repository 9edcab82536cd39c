"""Short descriptions of the person behind an identity, for greetings and profile screens."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.models import Contact, Customer, Staff
from portcrm.services.identity.users import Identity
from portcrm.storage.transaction import transactional


@dataclass(frozen=True, slots=True)
class ContactProfile:
    contact_name: str
    customer_name: str
    customer_code: str


@transactional
async def contact_profile(session: AsyncSession, identity: Identity) -> ContactProfile | None:
    if identity.contact_id is None:
        return None
    row = (
        await session.execute(
            select(Contact.name, Customer.name, Customer.code)
            .join(Customer, Customer.id == Contact.customer_id)
            .where(Contact.id == identity.contact_id)
        )
    ).one_or_none()
    return ContactProfile(*row) if row else None


@transactional
async def staff_directory(session: AsyncSession) -> list[Staff]:
    """Every active staff member with roles; for admins managing the team."""
    staff = (await session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.name))).all()
    return list(staff)
