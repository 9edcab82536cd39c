"""The customer archive (客户档案), edited field by field by the department that owns each part.

The rule table (fields.py) says which role keeps which field and how a typed value is read; every edit goes
through `update_field` / `update_contact_field`, which apply it. The audit hook records who
changed what; a change by operations or finance is reported to the customer's account manager in the market
department (domain.md: departments report changes to the market department, which keeps the archive current).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.errors import N_, Conflict, InvalidInput, NotFound
from portcrm.i18n import gettext_for
from portcrm.messaging import outbox
from portcrm.models import AuditEntry, ChatUser, Contact, Customer, Staff
from portcrm.models.base import utcnow
from portcrm.services.archive import customers
from portcrm.services.archive.fields import (
    CONTACT_FIELDS,
    FIELDS,
    ArchiveField,
    Editor,
    display,
    editable_field,
    field_label,
    parse_value,
)
from portcrm.services.privacy.erasure import refuse_erased
from portcrm.services.recipients.language import recipient_locale
from portcrm.settings import Locale
from portcrm.storage.transaction import transaction, transactional

log = logging.getLogger(__name__)

_MAX_ID = 2**63 - 1
_REPORTED = frozenset({Role.OPERATIONS, Role.FINANCE})  # their changes are reported to the account manager


@dataclass(frozen=True, slots=True)
class Change:
    customer: Customer
    field: ArchiveField
    old: Any
    new: Any
    contact: Contact | None = None
    informed: str | None = None  # the account manager told of the change, by name

    @property
    def changed(self) -> bool:
        return self.old != self.new


async def _customer(session: AsyncSession, customer_id: int, *, lock: bool = False) -> Customer:
    found = (
        await session.get(Customer, customer_id, with_for_update=lock) if 0 < customer_id <= _MAX_ID else None
    )
    if found is None:
        raise NotFound(N_("That customer was not found."))
    return found


async def _contact(session: AsyncSession, contact_id: int, *, lock: bool = False) -> tuple[Customer, Contact]:
    found = (
        await session.get(Contact, contact_id, with_for_update=lock) if 0 < contact_id <= _MAX_ID else None
    )
    if found is None:
        raise NotFound(N_("That contact was not found."))
    refuse_erased(found)
    return await _customer(session, found.customer_id), found


@transactional
async def preview_change(
    session: AsyncSession,
    customer_id: int,
    name: str,
    raw: str | None,
    editor: Editor,
    *,
    contact_id: int = 0,
) -> Change:
    """What saving `raw` would do, checked as saving is; nothing is written. No `raw`: the value now."""
    table, model = (CONTACT_FIELDS, Contact) if contact_id else (FIELDS, Customer)
    field = editable_field(table, editor, name)
    contact = None
    if contact_id:
        customer, contact = await _contact(session, contact_id)
    else:
        customer = await _customer(session, customer_id)
    old = getattr(contact or customer, field.column)
    new = old if raw is None else await parse_value(session, field, model, raw)
    return Change(customer, field, old, new, contact)


@transactional
async def update_field(
    session: AsyncSession,
    customer_id: int,
    field: str,
    raw_value: str,
    editor: Editor,
    *,
    default_locale: Locale,
) -> Change:
    """Check ownership and the value, save it, and report operations' and finance's changes."""
    rule = editable_field(FIELDS, editor, field)
    customer = await _customer(session, customer_id, lock=True)
    new = await parse_value(session, rule, Customer, raw_value)
    if rule.name == "uscc" and new is not None:
        taken = await session.scalar(
            select(Customer.code).where(Customer.uscc == new, Customer.id != customer.id)
        )
        if taken is not None:
            raise Conflict(N_("Customer {code} already has this unified social credit code."), code=taken)
    old = getattr(customer, rule.column)
    if old == new:
        return Change(customer, rule, old, new)
    setattr(customer, rule.column, new)
    await session.flush()  # the audit hook writes its entry in this flush
    informed = None
    if rule.owner in _REPORTED:
        informed = await _inform_manager(session, customer, rule, old, new, editor, default_locale)
    log.info("customer %s field %s changed by staff %s", customer.id, rule.name, editor.staff_id)
    return Change(customer, rule, old, new, informed=informed)


@transactional
async def contacts_of(session: AsyncSession, code: str, editor: Editor) -> tuple[Customer, list[Contact]]:
    """The contacts the market department keeps for a customer."""
    editable_field(CONTACT_FIELDS, editor, "name")
    customer = await customers.by_code(session, code)
    contacts = list(
        await session.scalars(
            select(Contact)
            .where(Contact.customer_id == customer.id, Contact.erased_at.is_(None))
            .order_by(Contact.id)
        )
    )
    return customer, contacts


async def add_contact(
    session: AsyncSession,
    customer_id: int,
    editor: Editor,
    *,
    name: str,
    reach: str,
    title: str | None = None,
) -> Contact:
    """A new contact needs a name and a phone number or an email address (whichever `reach` is)."""
    async with transaction(session):
        field = editable_field(CONTACT_FIELDS, editor, "name")
        customer = await _customer(session, customer_id, lock=True)
        contact = Contact(customer_id=customer.id, name=await parse_value(session, field, Contact, name))
        how = CONTACT_FIELDS["email" if "@" in reach else "phone"]
        setattr(contact, how.name, await parse_value(session, how, Contact, reach))
        if getattr(contact, how.name) is None:
            raise InvalidInput(N_("Please give a phone number or an email address."))
        contact.title = await parse_value(session, CONTACT_FIELDS["title"], Contact, title or "")
        await _unique_name(session, customer.id, contact.name, 0)
        session.add(contact)
    log.info("contact %s added to customer %s by staff %s", contact.id, customer.id, editor.staff_id)
    return contact


@transactional
async def update_contact_field(
    session: AsyncSession, contact_id: int, field: str, raw_value: str, editor: Editor
) -> Change:
    rule = editable_field(CONTACT_FIELDS, editor, field)
    customer, contact = await _contact(session, contact_id, lock=True)
    new = await parse_value(session, rule, Contact, raw_value)
    if rule.name == "name":
        await _unique_name(session, customer.id, new, contact.id)
    old = getattr(contact, rule.column)
    setattr(contact, rule.column, new)
    if contact.phone is None and contact.email is None:
        raise InvalidInput(N_("Please give a phone number or an email address."))
    return Change(customer, rule, old, new, contact)


async def _unique_name(session: AsyncSession, customer_id: int, name: str, contact_id: int) -> None:
    same = select(Contact.id).where(
        Contact.customer_id == customer_id, Contact.name == name, Contact.id != contact_id
    )
    if await session.scalar(same) is not None:
        raise Conflict(N_("This customer already has a contact named {name}."), name=name)


async def _inform_manager(
    session: AsyncSession,
    customer: Customer,
    field: ArchiveField,
    old: Any,
    new: Any,
    editor: Editor,
    default_locale: Locale,
) -> str | None:
    """One outbox row to the account manager, unless none, the editor, or unreachable."""
    manager = await session.get(Staff, customer.account_manager_id) if customer.account_manager_id else None
    if (
        manager is None
        or manager.id == editor.staff_id
        or not manager.active
        or manager.telegram_user_id is None
    ):
        return None
    entry_id = await session.scalar(
        select(AuditEntry.id)
        .where(
            AuditEntry.entity == "customers",
            AuditEntry.entity_id == customer.id,
            AuditEntry.field == field.column,
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    by = await session.get(Staff, editor.staff_id)
    _ = gettext_for(
        recipient_locale(await session.get(ChatUser, manager.telegram_user_id), None, default_locale)
    )
    text = _("<b>Archive change</b> for {company} ({code}) by {editor}:\n{field}: {old} → {new}").format(
        company=html.escape(customer.name),
        code=html.escape(customer.code),
        editor=html.escape(by.name if by else "—"),
        field=_(field_label(field)),
        old=await display(session, field, old, _),
        new=await display(session, field, new, _),
    )
    key = f"archive:{entry_id}" if entry_id else f"archive:{customer.id}:{field.name}:{utcnow().isoformat()}"
    await outbox.enqueue(
        session,
        key=key,
        kind="archive_change",
        chat_id=manager.telegram_user_id,
        text=text,
        staff_id=manager.id,
    )
    return manager.name


@transactional
async def contact_customer(session: AsyncSession, customer_id: int, editor: Editor) -> Customer:
    """Before a contact is added: the customer exists and the editor keeps contacts."""
    editable_field(CONTACT_FIELDS, editor, "name")
    return await _customer(session, customer_id)
