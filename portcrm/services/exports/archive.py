"""The customer archive (客户档案) as staff may take it away: one row per customer, and their contacts.

The columns follow the archive's rule table (archive/fields.py) in its order; who sees what follows the
card's rules (archive/cards.py) at the level of a whole export: the financial section only for finance and
managers, contacts' phone numbers, emails and birthdays only for the market department and managers (others
get the last four digits of a phone, and no email or birthday).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.errors import N_
from portcrm.labels import CONTACT_FIELD_NAMES
from portcrm.models import Contact, Customer, Staff
from portcrm.services.archive.cards import mask_phone
from portcrm.services.archive.fields import FIELDS, ArchiveField, Kind, Section, field_label
from portcrm.services.exports.workbook import Label, Sheet
from portcrm.services.identity.users import Identity

CODE, COMPANY, GRADE = N_("Customer code"), N_("Customer"), N_("Grade")


def sees_finances(viewer: Identity) -> bool:
    return viewer.has_any(Role.FINANCE, Role.MANAGER)


def sees_personal_details(viewer: Identity) -> bool:
    return viewer.has_any(Role.MARKET, Role.MANAGER)


def archive_fields(viewer: Identity) -> list[ArchiveField]:
    """The archive's fields this viewer's export holds, in the rule table's order."""
    return [f for f in FIELDS.values() if f.section is not Section.FINANCIAL or sees_finances(viewer)]


async def archive_sheets(session: AsyncSession, viewer: Identity) -> list[Sheet]:
    fields = archive_fields(viewer)
    staff = dict((await session.execute(select(Staff.id, Staff.name))).all())
    customers = list(await session.scalars(select(Customer).order_by(Customer.code)))
    rows = [
        [customer.code, *(_cell(f, getattr(customer, f.column), staff) for f in fields), customer.grade.value]
        for customer in customers
    ]
    headers = [CODE, *(field_label(f) for f in fields), GRADE]
    return [Sheet(N_("Customers"), headers, rows), await _contacts(session, viewer)]


def _cell(field: ArchiveField, value: Any, staff: dict[int, str]) -> Any:
    if value is None:
        return None
    if field.kind is Kind.STAFF:
        return staff.get(value, f"#{value}")
    if field.choices is not None and field.kind is Kind.CHOICE and str(value) in field.choices:
        label = field.choices[str(value)]
        return Label(label) if label != str(value) else label  # a credit rating is its own name
    return value


async def _contacts(session: AsyncSession, viewer: Identity) -> Sheet:
    personal = sees_personal_details(viewer)
    private = ("email", "birthday") if personal else ()
    names = ["name", "title", "phone", *private, "is_primary", "is_billing"]
    rows: list[Sequence[Any]] = []
    found = await session.execute(
        select(Customer.code, Customer.name, Contact)
        .join(Contact, Contact.customer_id == Customer.id)
        .order_by(Customer.code, Contact.is_primary.desc(), Contact.id)
    )
    for code, company, contact in found:
        values = {
            "name": contact.name,
            "title": contact.title,
            "phone": contact.phone if personal else mask_phone(contact.phone),
            "email": contact.email,
            "birthday": contact.birthday,
            "is_primary": contact.is_primary,
            "is_billing": contact.is_billing,
        }
        rows.append([code, company, *(values[name] for name in names)])
    return Sheet(N_("Contacts"), [CODE, COMPANY, *(CONTACT_FIELD_NAMES[n] for n in names)], rows)
