"""The customer card staff open from /find: the archive's essentials and the relationship at a glance.

Two rules of confidentiality live here and nowhere else: contacts' phone numbers are shown in full only to
the market department, managers and the customer's account manager (PIPL: others need to know who, not how
to call); financial detail only to finance, managers and the account manager.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import (
    CargoEventType,
    ComplaintStatus,
    ContactMethod,
    CustomerStatus,
    CustomerType,
    Grade,
    Role,
)
from portcrm.errors import N_, NotFound
from portcrm.models import Complaint, Contact, Customer, Shipment, Staff, Visit
from portcrm.services.complaints.sla import OPEN_STATUSES
from portcrm.services.identity.users import Identity
from portcrm.services.receivables.balance import Balance, customer_balance
from portcrm.storage.transaction import transactional

LISTED = 3  # complaints and shipments shown on the card; the rest are counted
MAX_CONTACTS = 10
MAX_ID = 2**63 - 1  # ids in buttons are user input: beyond BIGINT is simply not found


class CustomerNotFound(NotFound):
    message = N_("No such customer.")


@dataclass(frozen=True, slots=True)
class GradeReason:
    text: str  # English, as stored
    msgid: str | None = None  # rendered with params in the reader's language when present
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ContactLine:
    name: str
    title: str | None
    phone: str | None  # masked to the last four digits unless the viewer may see it


@dataclass(frozen=True, slots=True)
class LastVisit:
    occurred_at: dt.datetime
    method: ContactMethod
    staff_name: str


@dataclass(frozen=True, slots=True)
class ComplaintLine:
    ticket: str
    status: ComplaintStatus
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ShipmentLine:
    reference: str
    status: CargoEventType | None
    eta: dt.datetime | None


@dataclass(frozen=True, slots=True)
class CustomerCard:
    customer_id: int
    code: str
    name: str
    name_en: str | None
    type: CustomerType
    grade: Grade
    grade_reasons: tuple[GradeReason, ...]
    status: CustomerStatus
    account_manager: str | None
    contacts: tuple[ContactLine, ...]
    more_contacts: int
    last_visit: LastVisit | None
    next_revisit_on: dt.date | None
    open_complaints: int
    complaints: tuple[ComplaintLine, ...]  # the newest open ones
    active_shipments: int
    shipments: tuple[ShipmentLine, ...]  # the latest active ones
    receivables: Balance | None  # None: not for this viewer's eyes


def may_see_finances(viewer: Identity, account_manager_id: int | None) -> bool:
    return viewer.has_any(Role.FINANCE, Role.MANAGER) or _manages(viewer, account_manager_id)


def may_see_phones(viewer: Identity, account_manager_id: int | None) -> bool:
    return viewer.has_any(Role.MARKET, Role.MANAGER) or _manages(viewer, account_manager_id)


def _manages(viewer: Identity, account_manager_id: int | None) -> bool:
    return viewer.staff_id is not None and viewer.staff_id == account_manager_id


def mask_phone(phone: str | None) -> str | None:
    """Only the last four digits: enough to tell two numbers apart, not to call."""
    if not phone:
        return phone
    digits = "".join(c for c in phone if c.isdigit())
    return "****" + digits[-4:]


async def load_customer(session: AsyncSession, viewer: Identity, customer_id: int) -> Customer:
    """The customer, for staff only; anything else (or a forged id) is simply not found."""
    customer = (
        await session.get(Customer, customer_id) if viewer.is_staff and 0 < customer_id <= MAX_ID else None
    )
    if customer is None:
        raise CustomerNotFound()
    return customer


@transactional
async def customer_card(
    session: AsyncSession, viewer: Identity, customer_id: int, today: dt.date
) -> CustomerCard:
    """The card of one customer as this staff member may see it; `today` is the port's local date."""
    customer = await load_customer(session, viewer, customer_id)
    manager = await session.get(Staff, customer.account_manager_id) if customer.account_manager_id else None
    contacts = list(
        await session.scalars(
            select(Contact)
            .where(Contact.customer_id == customer_id)
            .order_by(Contact.is_primary.desc(), Contact.id)
            .limit(MAX_CONTACTS + 1)
        )
    )
    contact_count = await session.scalar(
        select(func.count(Contact.id)).where(Contact.customer_id == customer_id)
    )
    visit = (
        await session.execute(
            select(Visit, Staff.name)
            .join(Staff, Staff.id == Visit.staff_id)
            .where(Visit.customer_id == customer_id)
            .order_by(Visit.occurred_at.desc(), Visit.id.desc())
            .limit(1)
        )
    ).first()
    open_filter = (Complaint.customer_id == customer_id, Complaint.status.in_(OPEN_STATUSES))
    complaints = (
        await session.execute(
            select(Complaint.ticket, Complaint.status, Complaint.created_at)
            .where(*open_filter)
            .order_by(Complaint.created_at.desc(), Complaint.id.desc())
            .limit(LISTED)
        )
    ).all()
    open_complaints = await session.scalar(select(func.count(Complaint.id)).where(*open_filter))
    active_filter = (Shipment.customer_id == customer_id, Shipment.completed.is_(False))
    shipments = (
        await session.execute(
            select(Shipment.bl_number, Shipment.booking_ref, Shipment.status, Shipment.eta)
            .where(*active_filter)
            .order_by(Shipment.updated_at.desc(), Shipment.id.desc())
            .limit(LISTED)
        )
    ).all()
    active_shipments = await session.scalar(select(func.count(Shipment.id)).where(*active_filter))
    phones = may_see_phones(viewer, customer.account_manager_id)
    receivables = (
        await customer_balance(session, customer_id, today, listed=0)
        if may_see_finances(viewer, customer.account_manager_id)
        else None
    )
    return CustomerCard(
        customer_id=customer.id,
        code=customer.code,
        name=customer.name,
        name_en=customer.name_en,
        type=customer.type,
        grade=customer.grade,
        grade_reasons=tuple(grade_reason(r) for r in customer.grade_reasons or [] if isinstance(r, dict)),
        status=customer.status,
        account_manager=manager.name if manager else None,
        contacts=tuple(
            ContactLine(c.name, c.title, c.phone if phones else mask_phone(c.phone))
            for c in contacts[:MAX_CONTACTS]
        ),
        more_contacts=max((contact_count or 0) - MAX_CONTACTS, 0),
        last_visit=LastVisit(visit[0].occurred_at, visit[0].method, visit[1]) if visit else None,
        next_revisit_on=visit[0].next_revisit_on if visit else None,
        open_complaints=open_complaints or 0,
        complaints=tuple(ComplaintLine(*row) for row in complaints),
        active_shipments=active_shipments or 0,
        shipments=tuple(
            ShipmentLine(bl or booking or "", status, eta) for bl, booking, status, eta in shipments
        ),
        receivables=receivables,
    )


def grade_reason(raw: dict[str, Any]) -> GradeReason:
    """A stored reason (the customer's grade_reasons, a grading proposal's) as shown to people."""
    params = raw.get("params")
    msgid = raw.get("msgid")
    return GradeReason(
        text=str(raw.get("text") or ""),
        msgid=msgid if isinstance(msgid, str) and msgid else None,
        params=params if isinstance(params, dict) else {},
    )
