"""What a complaint shows: its card (with its history) and a company's list, to the customer and the staff.

Read only; the customer's view is checked against their company here, so a button's forged id finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.models import Complaint, ComplaintAttachment, ComplaintEvent, Contact, Customer
from portcrm.services.complaints.intake import MAX_LISTED, load_complaint
from portcrm.storage.transaction import transactional


@dataclass(frozen=True, slots=True)
class ComplaintCard:
    complaint: Complaint
    customer_name: str
    contact_name: str | None
    events: list[ComplaintEvent]
    attachment_count: int


@transactional
async def customer_complaints(session: AsyncSession, customer_id: int) -> list[Complaint]:
    """The company's latest complaints, newest first."""
    rows = await session.scalars(
        select(Complaint)
        .where(Complaint.customer_id == customer_id)
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
        .limit(MAX_LISTED)
    )
    return list(rows)


@transactional
async def complaint_card(
    session: AsyncSession, complaint_id: int, *, customer_id: int | None
) -> ComplaintCard:
    """A complaint with its history; `customer_id` None is the staff's view, any other id must own it."""
    complaint = await load_complaint(session, complaint_id, customer_id=customer_id)
    customer = await session.get(Customer, complaint.customer_id)
    contact = await session.get(Contact, complaint.contact_id) if complaint.contact_id else None
    events = await session.scalars(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint.id)
        .order_by(ComplaintEvent.at, ComplaintEvent.id)
    )
    attachments = await session.scalar(
        select(func.count())
        .select_from(ComplaintAttachment)
        .where(ComplaintAttachment.complaint_id == complaint.id)
    )
    return ComplaintCard(
        complaint=complaint,
        customer_name=customer.name if customer else "",
        contact_name=contact.name if contact else None,
        events=list(events),
        attachment_count=attachments or 0,
    )
