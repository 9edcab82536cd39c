"""The customer archive (客户档案), edited field by field by the department that owns each part.

One rule table says which role keeps which field and how a typed value is read; every edit goes through
`update_field` / `update_contact_field`, so the ownership rule lives in one place. The audit hook records who
changed what; a change by operations or finance is reported to the customer's account manager in the market
department (domain.md: departments report changes to the market department, which keeps the archive current).
"""

from __future__ import annotations

import datetime as dt
import enum
import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CreditRating, CustomerStatus, CustomerType, Role
from portcrm.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from portcrm.i18n import gettext_for
from portcrm.identifiers import normalise_email, normalise_phone, normalise_uscc
from portcrm.labels import (
    ARCHIVE_FIELD_NAMES,
    CONTACT_FIELD_NAMES,
    CUSTOMER_STATUS_NAMES,
    CUSTOMER_TYPE_NAMES,
)
from portcrm.messaging import outbox
from portcrm.models import AuditEntry, ChatUser, Contact, Customer, Staff
from portcrm.models.base import utcnow
from portcrm.services.archive import customers
from portcrm.services.privacy.erasure import refuse_erased
from portcrm.services.recipients.language import recipient_locale
from portcrm.settings import LOCALES, Locale
from portcrm.storage.transaction import transaction, transactional

log = logging.getLogger(__name__)

CLEAR = "-"  # typed instead of a value: the field becomes empty
_MAX_ID = 2**63 - 1
_MAX_TEXT = 4000  # Text columns: the value and its prompt still fit one message
_SHOWN = 300  # a value quoted in a message
_REPORTED = frozenset({Role.OPERATIONS, Role.FINANCE})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_AMOUNT = re.compile(r"\d{1,16}(\.\d{1,2})?")
_YES_NO = {"yes": N_("Yes"), "no": N_("No")}
_LANGUAGES = {"zh_CN": "简体中文", "zh_TW": "繁體中文", "en": "English"}


class Kind(enum.StrEnum):
    TEXT = "text"
    DATE = "date"
    AMOUNT = "amount"
    COUNT = "count"
    CHOICE = "choice"
    USCC = "uscc"
    CURRENCY = "currency"
    STAFF = "staff"
    PHONE = "phone"
    EMAIL = "email"


class Section(enum.StrEnum):
    BASIC = "basic"
    BUSINESS = "business"
    FINANCIAL = "financial"
    CONTACT = "contact"


@dataclass(frozen=True, slots=True)
class ArchiveField:
    name: str
    code: str  # in callback data: short, ids only
    section: Section
    owner: Role
    kind: Kind = Kind.TEXT
    choices: dict[str, str] | None = None  # stored value -> N_ label, offered as buttons
    convert: Callable[[str], Any] = str
    attribute: str = ""

    @property
    def column(self) -> str:
        return self.attribute or self.name


def _f(
    name: str, code: str, section: Section, owner: Role, kind: Kind = Kind.TEXT, **kw: Any
) -> ArchiveField:
    return ArchiveField(name, code, section, owner, kind, **kw)


_B, _O, _F, _M = Section.BASIC, Section.BUSINESS, Section.FINANCIAL, Role.MARKET
FIELDS = {
    f.name: f
    for f in (
        _f("name", "nm", _B, _M),
        _f("name_en", "ne", _B, _M),
        _f("type", "ty", _B, _M, Kind.CHOICE, choices=dict(CUSTOMER_TYPE_NAMES), convert=CustomerType),
        _f("status", "st", _B, _M, Kind.CHOICE, choices=dict(CUSTOMER_STATUS_NAMES), convert=CustomerStatus),
        _f("uscc", "uc", _B, _M, Kind.USCC),
        _f("legal_representative", "lr", _B, _M),
        _f("business_scope", "bs", _B, _M),
        _f("founded_on", "fo", _B, _M, Kind.DATE),
        _f("organisation_form", "of", _B, _M),
        _f("registered_capital", "rc", _B, _M, Kind.AMOUNT),
        _f("total_assets", "ta", _B, _M, Kind.AMOUNT),
        _f("address", "ad", _B, _M),
        _f("service_area", "sa", _B, _M),
        _f("sales_capacity", "sc", _B, _M),
        _f("development_potential", "dp", _B, _M),
        _f("cooperation_since", "cs", _B, _M, Kind.DATE),
        _f("account_manager", "am", _B, _M, Kind.STAFF, attribute="account_manager_id"),
        _f("annual_volume_teu", "av", _O, Role.OPERATIONS, Kind.COUNT),
        _f("cargo_types", "ct", _O, Role.OPERATIONS),
        _f("routes", "rt", _O, Role.OPERATIONS),
        _f("freight_payment_terms", "fp", _O, Role.OPERATIONS),
        _f("credit_rating", "cr", _F, Role.FINANCE, Kind.CHOICE, choices={r: r for r in CreditRating}),
        _f("annual_revenue", "ar", _F, Role.FINANCE, Kind.AMOUNT),
        _f("financial_statements", "fs", _F, Role.FINANCE),
        _f("currency", "cu", _F, Role.FINANCE, Kind.CURRENCY),
        _f("bank_name", "bn", _F, Role.FINANCE),
        _f("bank_account", "ba", _F, Role.FINANCE),
    )
}
_C = Section.CONTACT
CONTACT_FIELDS = {
    f.name: f
    for f in (
        _f("name", "nm", _C, _M),
        _f("title", "ti", _C, _M),
        _f("phone", "ph", _C, _M, Kind.PHONE),
        _f("email", "em", _C, _M, Kind.EMAIL),
        _f("birthday", "bd", _C, _M, Kind.DATE),
        _f("locale", "lo", _C, _M, Kind.CHOICE, choices=dict(_LANGUAGES)),
        _f("is_primary", "pr", _C, _M, Kind.CHOICE, choices=_YES_NO, convert=lambda v: v == "yes"),
        _f("is_billing", "bi", _C, _M, Kind.CHOICE, choices=_YES_NO, convert=lambda v: v == "yes"),
    )
}
FIELD_CODES = {f.code: f.name for f in FIELDS.values()}
CONTACT_FIELD_CODES = {f.code: f.name for f in CONTACT_FIELDS.values()}


class NotYourField(Forbidden):
    message = N_("This part of the archive is kept by another department, so you cannot change it.")


@dataclass(frozen=True, slots=True)
class Editor:
    """The staff member editing, as plain values from the edge."""

    staff_id: int
    roles: frozenset[Role]


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


def may_edit(editor: Editor, field: ArchiveField) -> bool:
    return Role.MANAGER in editor.roles or field.owner in editor.roles


def editable_fields(editor: Editor) -> list[ArchiveField]:
    """In table order, which groups them by section (basic, business, financial)."""
    return [f for f in FIELDS.values() if may_edit(editor, f)]


def field_label(field: ArchiveField) -> str:
    return (CONTACT_FIELD_NAMES if field.section is Section.CONTACT else ARCHIVE_FIELD_NAMES)[field.name]


def _field(table: dict[str, ArchiveField], editor: Editor, name: str) -> ArchiveField:
    """Unknown names (grade, say) and other departments' fields are refused alike."""
    field = table.get(name)
    if field is None or not may_edit(editor, field):
        raise NotYourField()
    return field


async def _parse(session: AsyncSession, field: ArchiveField, model: type, raw: str) -> Any:
    value = raw.strip()
    column = model.__table__.c[field.column]
    if not value or value == CLEAR:
        if not column.nullable:
            raise InvalidInput(N_("This field cannot be empty."))
        return None
    if field.kind is Kind.CHOICE:
        assert field.choices is not None
        for stored, label in field.choices.items():
            names = {str(stored).lower(), *(gettext_for(lo)(label).lower() for lo in LOCALES)}
            if value.lower() in names:
                return field.convert(stored)
        raise InvalidInput(N_("Unknown choice: {value}. Please press one of the buttons."), value=raw)
    if field.kind is Kind.DATE:
        try:
            return dt.date.fromisoformat(value) if _DATE.fullmatch(value) else _bad_date(raw)
        except ValueError:
            return _bad_date(raw)
    if field.kind is Kind.AMOUNT:
        amount = re.sub(r"[\s,，]", "", value)
        if not _AMOUNT.fullmatch(amount):
            raise InvalidInput(
                N_("Invalid amount: {value}. Please write a number such as 1250000.00."), value=raw
            )
        return Decimal(amount)
    if field.kind is Kind.COUNT:
        if not re.fullmatch(r"\d{1,9}", value.replace(",", "")):
            raise InvalidInput(
                N_("Invalid number: {value}. Please write a whole number such as 12000."), value=raw
            )
        return int(value.replace(",", ""))
    if field.kind is Kind.USCC:
        return normalise_uscc(value.upper())
    if field.kind is Kind.PHONE:
        return normalise_phone(value)
    if field.kind is Kind.EMAIL:
        return normalise_email(value)
    if field.kind is Kind.CURRENCY:
        if not re.fullmatch(r"[A-Za-z]{3}", value):
            raise InvalidInput(
                N_("Invalid currency code: {value}. Please use three letters such as CNY."), value=raw
            )
        return value.upper()
    if field.kind is Kind.STAFF:
        query = select(Staff).where(Staff.active.is_(True))
        query = query.where(Staff.id == int(value) if value.isdigit() else Staff.name == value)
        staff = (await session.scalars(query.limit(2))).all()
        if len(staff) != 1:
            raise InvalidInput(N_("No active staff member {value}."), value=raw)
        return staff[0].id
    limit = getattr(column.type, "length", None) or _MAX_TEXT
    if len(value) > limit:
        raise InvalidInput(
            N_("Too long: {length} characters, the limit is {limit}."), length=len(value), limit=limit
        )
    return value


def _bad_date(raw: str) -> Any:
    raise InvalidInput(N_("Invalid date: {value}. Please write it as YYYY-MM-DD."), value=raw)


@transactional
async def display(
    session: AsyncSession, field: ArchiveField, value: Any, gettext: Callable[[str], str]
) -> str:
    """A value as the reader's language shows it, HTML-escaped and clipped (a staff member is looked up)."""
    if value is None:
        return "—"
    if field.choices is not None:
        key = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        return html.escape(gettext(field.choices.get(key, key)))
    if field.kind is Kind.STAFF:
        staff = await session.get(Staff, value)
        value = staff.name if staff else f"#{value}"
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return html.escape(text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…")


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
    field = _field(table, editor, name)
    contact = None
    if contact_id:
        customer, contact = await _contact(session, contact_id)
    else:
        customer = await _customer(session, customer_id)
    old = getattr(contact or customer, field.column)
    new = old if raw is None else await _parse(session, field, model, raw)
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
    rule = _field(FIELDS, editor, field)
    customer = await _customer(session, customer_id, lock=True)
    new = await _parse(session, rule, Customer, raw_value)
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
    _field(CONTACT_FIELDS, editor, "name")
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
        field = _field(CONTACT_FIELDS, editor, "name")
        customer = await _customer(session, customer_id, lock=True)
        contact = Contact(customer_id=customer.id, name=await _parse(session, field, Contact, name))
        how = CONTACT_FIELDS["email" if "@" in reach else "phone"]
        setattr(contact, how.name, await _parse(session, how, Contact, reach))
        if getattr(contact, how.name) is None:
            raise InvalidInput(N_("Please give a phone number or an email address."))
        contact.title = await _parse(session, CONTACT_FIELDS["title"], Contact, title or "")
        await _unique_name(session, customer.id, contact.name, 0)
        session.add(contact)
    log.info("contact %s added to customer %s by staff %s", contact.id, customer.id, editor.staff_id)
    return contact


@transactional
async def update_contact_field(
    session: AsyncSession, contact_id: int, field: str, raw_value: str, editor: Editor
) -> Change:
    rule = _field(CONTACT_FIELDS, editor, field)
    customer, contact = await _contact(session, contact_id, lock=True)
    new = await _parse(session, rule, Contact, raw_value)
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
    _field(CONTACT_FIELDS, editor, "name")
    return await _customer(session, customer_id)
