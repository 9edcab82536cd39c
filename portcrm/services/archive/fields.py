"""Which department keeps which field of the archive, and how a typed value is read and shown.

The rule table (`FIELDS`, `CONTACT_FIELDS`): each field's section, its owning role (market keeps the basic
information, operations the business information, finance the financial information; managers may edit
all), its kind and choices. Every edit goes through `editable_field` and `parse_value`, so the ownership
rule and the value rules live here alone; portcrm/services/archive/edits.py applies them.
"""

from __future__ import annotations

import datetime as dt
import enum
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CreditRating, CustomerStatus, CustomerType, Role
from portcrm.errors import N_, Forbidden, InvalidInput
from portcrm.i18n import gettext_for
from portcrm.identifiers import normalise_email, normalise_phone, normalise_uscc
from portcrm.labels import (
    ARCHIVE_FIELD_NAMES,
    CONTACT_FIELD_NAMES,
    CUSTOMER_STATUS_NAMES,
    CUSTOMER_TYPE_NAMES,
)
from portcrm.models import Staff
from portcrm.settings import LOCALES
from portcrm.storage.transaction import transactional

CLEAR = "-"  # typed instead of a value: the field becomes empty
_MAX_TEXT = 4000  # Text columns: the value and its prompt still fit one message
_SHOWN = 300  # a value quoted in a message
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
# the department that keeps each section: it reads that section's history too (history.py)
SECTION_OWNERS = {f.section: f.owner for f in (*FIELDS.values(), *CONTACT_FIELDS.values())}
CONTACT_FIELD_CODES = {f.code: f.name for f in CONTACT_FIELDS.values()}


class NotYourField(Forbidden):
    message = N_("This part of the archive is kept by another department, so you cannot change it.")


@dataclass(frozen=True, slots=True)
class Editor:
    """The staff member editing, as plain values from the edge."""

    staff_id: int
    roles: frozenset[Role]


def may_edit(editor: Editor, field: ArchiveField) -> bool:
    return Role.MANAGER in editor.roles or field.owner in editor.roles


def editable_fields(editor: Editor) -> list[ArchiveField]:
    """In table order, which groups them by section (basic, business, financial)."""
    return [f for f in FIELDS.values() if may_edit(editor, f)]


def field_label(field: ArchiveField) -> str:
    return (CONTACT_FIELD_NAMES if field.section is Section.CONTACT else ARCHIVE_FIELD_NAMES)[field.name]


def editable_field(table: dict[str, ArchiveField], editor: Editor, name: str) -> ArchiveField:
    """Unknown names (grade, say) and other departments' fields are refused alike."""
    field = table.get(name)
    if field is None or not may_edit(editor, field):
        raise NotYourField()
    return field


async def parse_value(session: AsyncSession, field: ArchiveField, model: type, raw: str) -> Any:
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
