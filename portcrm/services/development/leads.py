"""Prospects (leads) and their conversion into customers: development work of the market department.

A lead belongs to the marketer who recorded it; managers may work anyone's. Conversion creates the customer
(grade C, 潜在客户) and its primary contact and marks the lead WON in one transaction; the customer and the
contact are audited by the session hook.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CustomerType, Grade, LeadSource, LeadStatus
from portcrm.errors import N_, Conflict, InvalidInput, NotFound
from portcrm.identifiers import normalise_phone
from portcrm.models import Contact, Customer, Lead
from portcrm.storage.transaction import transaction, transactional

log = logging.getLogger(__name__)

OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.NEGOTIATING)
SETTABLE_STATUSES = (LeadStatus.CONTACTED, LeadStatus.NEGOTIATING, LeadStatus.LOST)
MAX_NAME = 200
MAX_NOTES = 2000
MAX_VOLUME_TEU = 100_000_000
_CODE = re.compile(r"[A-Z0-9][A-Z0-9\-_]{1,31}")


class LeadNotFound(NotFound):
    message = N_("That lead was not found, or it is no longer open.")


@dataclasses.dataclass(frozen=True, slots=True)
class LeadDraft:
    company_name: str
    source: LeadSource
    customer_type: CustomerType | None = None
    contact_name: str | None = None
    phone: str | None = None
    expected_volume_teu: int | None = None
    notes: str | None = None


def check_company(text: str | None) -> str:
    value = (text or "").strip()
    if not value:
        raise InvalidInput(N_("Please type the company's name."))
    if len(value) > MAX_NAME:
        raise InvalidInput(N_("The name is too long: at most {limit} characters."), limit=MAX_NAME)
    return value


def check_contact_name(text: str | None) -> str | None:
    value = (text or "").strip()
    if len(value) > MAX_NAME:
        raise InvalidInput(N_("The name is too long: at most {limit} characters."), limit=MAX_NAME)
    return value or None


def check_phone(text: str | None) -> str | None:
    value = (text or "").strip()
    return normalise_phone(value) if value else None


def parse_volume(text: str) -> int:
    value = text.strip().replace(",", "").replace(" ", "")
    if not value.isdigit() or int(value) > MAX_VOLUME_TEU:
        raise InvalidInput(N_("Please type the expected yearly volume as a whole number of TEU, e.g. 5000."))
    return int(value)


def check_lead_notes(text: str | None) -> str | None:
    value = (text or "").strip()
    if len(value) > MAX_NOTES:
        raise InvalidInput(N_("The notes are too long: at most {limit} characters."), limit=MAX_NOTES)
    return value or None


def check_code(text: str) -> str:
    value = text.strip().upper()
    if not _CODE.fullmatch(value):
        raise InvalidInput(
            N_("A customer code is 2 to 32 letters, digits, - or _ (for example NBF001): {value}"), value=text
        )
    return value


async def create_lead(session: AsyncSession, owner_id: int, draft: LeadDraft) -> Lead:
    """Validate every field again (a draft may be old) and record the lead as NEW."""
    lead = Lead(
        company_name=check_company(draft.company_name),
        customer_type=draft.customer_type,
        source=LeadSource(draft.source),
        contact_name=check_contact_name(draft.contact_name),
        phone=check_phone(draft.phone),
        expected_volume_teu=draft.expected_volume_teu,
        notes=check_lead_notes(draft.notes),
        status=LeadStatus.NEW,
        owner_id=owner_id,
    )
    async with transaction(session):
        session.add(lead)
    log.info("lead %s recorded by staff %s", lead.id, owner_id)
    return lead


@transactional
async def open_leads(session: AsyncSession, owner_id: int | None, limit: int = 20) -> list[Lead]:
    """Open leads of one marketer (None: everyone's, for managers), newest first."""
    query = select(Lead).where(Lead.status.in_(OPEN_STATUSES))
    if owner_id is not None:
        query = query.where(Lead.owner_id == owner_id)
    return list((await session.scalars(query.order_by(Lead.id.desc()).limit(limit))).all())


async def _open_lead(session: AsyncSession, lead_id: int, staff_id: int, any_owner: bool) -> Lead:
    lead = await session.get(Lead, lead_id)
    if lead is None or lead.status not in OPEN_STATUSES or (not any_owner and lead.owner_id != staff_id):
        raise LeadNotFound()
    return lead


@transactional
async def get_open_lead(session: AsyncSession, lead_id: int, staff_id: int, *, any_owner: bool) -> Lead:
    return await _open_lead(session, lead_id, staff_id, any_owner)


@transactional
async def set_lead_status(
    session: AsyncSession, lead_id: int, status: LeadStatus, staff_id: int, *, any_owner: bool
) -> Lead:
    if status not in SETTABLE_STATUSES:
        raise InvalidInput()
    lead = await _open_lead(session, lead_id, staff_id, any_owner)
    lead.status = status
    return lead


@transactional
async def convert_lead(
    session: AsyncSession,
    lead_id: int,
    staff_id: int,
    code: str,
    *,
    today: dt.date,
    any_owner: bool,
    customer_type: CustomerType | None = None,
) -> Customer:
    """The lead becomes a customer (grade C) with its primary contact; the lead is WON."""
    code = check_code(code)
    lead = await _open_lead(session, lead_id, staff_id, any_owner)
    kind = customer_type or lead.customer_type
    if kind is None:
        raise InvalidInput(N_("Please choose the customer type first."))
    if await session.scalar(select(Customer.id).where(Customer.code == code)) is not None:
        raise Conflict(N_("The customer code {code} is already taken."), code=code)
    customer = Customer(
        code=code,
        name=lead.company_name,
        type=kind,
        grade=Grade.C,
        account_manager_id=lead.owner_id or staff_id,
        cooperation_since=today,
    )
    session.add(customer)
    await session.flush()
    if lead.contact_name:
        session.add(
            Contact(customer_id=customer.id, name=lead.contact_name, phone=lead.phone, is_primary=True)
        )
    lead.status = LeadStatus.WON
    lead.converted_customer_id = customer.id
    log.info("lead %s converted to customer %s by staff %s", lead_id, customer.id, staff_id)
    return customer
