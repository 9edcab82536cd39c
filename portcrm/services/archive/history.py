"""A customer's change history from the audit log: who changed what, when, from what to what.

Financial changes (invoices, payments, credit limits and the customer's financial fields) are left out for
staff who may not see finances, by the same rule as the card; contacts' phone numbers are masked likewise.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from portcrm.models import AuditEntry
from portcrm.services.archive.cards import load_customer, mask_phone, may_see_finances, may_see_phones
from portcrm.services.identity.users import Identity
from portcrm.storage.transaction import transactional

PAGE_SIZE = 15
FINANCIAL_ENTITIES = frozenset({"invoices", "payments", "credit_limits"})
FINANCIAL_FIELDS = frozenset(
    {"credit_rating", "annual_revenue", "financial_statements", "bank_name", "bank_account", "currency"}
)
_MASKED_FIELDS = {("contacts", "phone")}


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: dt.datetime
    actor: str
    entity: str  # the table: customers, contacts, credit_limits, invoices, payments
    entity_id: int
    action: str  # create, update, delete
    field: str
    old_value: str | None
    new_value: str | None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    customer_id: int
    code: str
    name: str
    lines: tuple[HistoryLine, ...]  # newest first
    page: int  # from 0
    pages: int
    total: int
    financial_hidden: bool  # the viewer may not see financial changes, so none are listed


def _financial() -> ColumnElement[bool]:
    return or_(
        AuditEntry.entity.in_(FINANCIAL_ENTITIES),
        and_(AuditEntry.entity == "customers", AuditEntry.field.in_(FINANCIAL_FIELDS)),
    )


@transactional
async def customer_history(
    session: AsyncSession, viewer: Identity, customer_id: int, page: int = 0
) -> HistoryPage:
    """One page of the customer's history; a page beyond the last gives the last (callers compare)."""
    customer = await load_customer(session, viewer, customer_id)
    hidden = not may_see_finances(viewer, customer.account_manager_id)
    conditions = [AuditEntry.customer_id == customer_id]
    if hidden:
        conditions.append(not_(_financial()))
    total = await session.scalar(select(func.count(AuditEntry.id)).where(*conditions)) or 0
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    page = min(max(page, 0), pages - 1)
    rows = await session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    entries = list(rows)
    phones = may_see_phones(viewer, customer.account_manager_id)
    return HistoryPage(
        customer_id=customer.id,
        code=customer.code,
        name=customer.name,
        lines=tuple(_line(entry, phones) for entry in entries),
        page=page,
        pages=pages,
        total=total,
        financial_hidden=hidden,
    )


def _line(entry: AuditEntry, phones: bool) -> HistoryLine:
    old, new = entry.old_value, entry.new_value
    if not phones and (entry.entity, entry.field) in _MASKED_FIELDS:
        old, new = mask_phone(old), mask_phone(new)
    return HistoryLine(
        entry.at, entry.actor, entry.entity, entry.entity_id, entry.action, entry.field, old, new
    )
