"""The texts of /edit and /contact: the field list, a field's prompt, the confirmation and the contacts."""

from __future__ import annotations

import html

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from portcrm.models import Contact, Customer
from portcrm.services.archive.fields import ArchiveField, Kind, Section, field_label

SECTION_NAMES = {
    Section.BASIC: __("Basic information"),
    Section.BUSINESS: __("Business information"),
    Section.FINANCIAL: __("Financial information"),
    Section.CONTACT: __("Contacts"),
}
MAX_CONTACTS = 20  # listed, each with its button


def company(customer: Customer) -> str:
    return f"{html.escape(customer.name)} ({html.escape(customer.code)})"


def fields_text(customer: Customer, fields: list[ArchiveField]) -> str:
    lines = [_("<b>{company}</b>: which field do you want to change?").format(company=company(customer))]
    for section in (Section.BASIC, Section.BUSINESS, Section.FINANCIAL):
        names = [_(field_label(f)) for f in fields if f.section is section]
        if names:
            lines.append(f"<b>{SECTION_NAMES[section]}</b>: " + "、".join(names))
    return "\n".join(lines)


def prompt(field: ArchiveField, customer: Customer, old: str, contact: Contact | None) -> str:
    whose = html.escape(contact.name) + " · " + company(customer) if contact else company(customer)
    hints = {
        Kind.DATE: _("Write the date as YYYY-MM-DD."),
        Kind.AMOUNT: _("Write the amount as a number, for example 1250000.00."),
        Kind.COUNT: _("Write a whole number, for example 12000."),
        Kind.CHOICE: _("Press one of the buttons."),
        Kind.STAFF: _("Write the staff member's name or staff number."),
    }
    return "\n".join(
        [
            _("<b>{field}</b> of {whose}").format(field=_(field_label(field)), whose=whose),
            _("Now: {value}").format(value=old),
            hints.get(field.kind, _("Send the new value.")),
            _("Send - to clear it, or /cancel to stop."),
        ]
    )


def confirm_text(field: ArchiveField, customer: Customer, old: str, new: str) -> str:
    return "\n".join(
        [
            _("<b>{field}</b> of {company}").format(field=_(field_label(field)), company=company(customer)),
            f"{old} → {new}",
            _("Press Confirm to save it."),
        ]
    )


def contacts_text(customer: Customer, contacts: list[Contact]) -> str:
    lines = [_("<b>Contacts of {company}</b>").format(company=company(customer))]
    for contact in contacts[:MAX_CONTACTS]:
        parts = [contact.name, contact.title, contact.phone, contact.email]
        lines.append("• " + html.escape(" · ".join(p for p in parts if p)))
    if not contacts:
        lines.append(_("No contacts yet."))
    return "\n".join(lines)
