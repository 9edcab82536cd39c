"""The complaint hotline (投诉热线): a complaint taken by phone, logged by staff on the customer's behalf.

It becomes an ordinary complaint (channel phone) through intake's one submission, so it follows the same
desk, SLA clocks and notices as one filed in chat or by mail; its first event names the colleague who took
the call. The market department runs the hotline; managers and administrators may log calls too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintChannel, Role
from portcrm.errors import NotFound
from portcrm.models import Complaint, Contact, Customer
from portcrm.services.complaints.intake import ComplaintDraft, ContactNotFound, Submission, submit_complaint
from portcrm.settings import Locale
from portcrm.storage.transaction import transactional

LOGGERS = frozenset({Role.MARKET, Role.MANAGER, Role.ADMIN})
MAX_CALLERS = 20  # contacts offered as the caller; a company with more has its first twenty by name


def may_log_calls(roles: Iterable[Role]) -> bool:
    return not LOGGERS.isdisjoint(roles)


@dataclass(frozen=True, slots=True)
class Caller:
    contact_id: int
    name: str
    title: str | None


@dataclass(frozen=True, slots=True)
class CallersOf:
    customer_id: int
    customer_name: str
    callers: tuple[Caller, ...]


@dataclass(frozen=True, slots=True)
class Logged:
    complaint_id: int
    ticket: str
    customer_name: str


@transactional
async def callers_of(session: AsyncSession, customer_id: int) -> CallersOf:
    """The company and the contacts who may have called (primary first); erased people are left out."""
    customer = await session.get(Customer, customer_id) if 0 < customer_id < 2**63 else None
    if customer is None:
        raise NotFound()
    rows = await session.execute(
        select(Contact.id, Contact.name, Contact.title)
        .where(Contact.customer_id == customer_id, Contact.erased_at.is_(None))
        .order_by(Contact.is_primary.desc(), Contact.name)
        .limit(MAX_CALLERS)
    )
    return CallersOf(customer.id, customer.name, tuple(Caller(*row) for row in rows))


@transactional
async def caller(session: AsyncSession, customer_id: int, contact_id: int) -> Caller:
    contact = await session.get(Contact, contact_id) if 0 < contact_id < 2**63 else None
    if contact is None or contact.customer_id != customer_id or contact.erased_at is not None:
        raise ContactNotFound()
    return Caller(contact.id, contact.name, contact.title)


async def log_call(
    session: AsyncSession,
    draft: ComplaintDraft,
    *,
    staff_id: int,
    tz: dt.tzinfo,
    default_locale: Locale,
) -> Submission:
    """Store the complaint taken on the phone once (the draft's key), as the colleague `staff_id` took it.

    The caller, when a linked contact, is told the reference in chat (or by mail) like any complainant.
    """
    phone = dataclasses.replace(draft, channel=ComplaintChannel.PHONE, taken_by_id=staff_id)
    return await submit_complaint(session, phone, tz=tz, default_locale=default_locale)


@transactional
async def logged_by_key(session: AsyncSession, key: str) -> Logged | None:
    """What a hotline draft became, for its button pressed again or replayed after a crash."""
    row = (
        await session.execute(
            select(Complaint.id, Complaint.ticket, Customer.name)
            .join(Customer, Customer.id == Complaint.customer_id)
            .where(Complaint.idempotency_key == key, Complaint.channel == ComplaintChannel.PHONE)
        )
    ).first()
    return Logged(*row) if row else None
