"""The archive edit and add-contact forms: states, the draft in conversation data, keyboards and texts.

The draft lives in FSM data under "archive" (JSON only: ids, the field name and the typed value), so a value
typed before a restart is still there to confirm.
"""

from __future__ import annotations

import html

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.forms.drafts import Draft
from bot.ui.callbacks.archive import (
    ArchiveConfirm,
    ArchiveFieldPick,
    ArchiveValue,
    ContactAdd,
    ContactFieldPick,
    ContactPick,
)
from portcrm.models import Contact, Customer
from portcrm.services.archive.edits import CONTACT_FIELDS, ArchiveField, Kind, Section, field_label

DRAFT = Draft("archive")
MAX_CONTACTS = 20
SECTION_NAMES = {
    Section.BASIC: __("Basic information"),
    Section.BUSINESS: __("Business information"),
    Section.FINANCIAL: __("Financial information"),
}


class ArchiveForm(StatesGroup):
    value = State()
    confirm = State()


class ContactForm(StatesGroup):
    name = State()
    reach = State()


async def start_edit(state: FSMContext, field: ArchiveField, customer_id: int, contact_id: int = 0) -> None:
    await state.set_state(ArchiveForm.value)
    await DRAFT.start(state, customer_id=customer_id, contact_id=contact_id, field=field.name)


async def keep_value(state: FSMContext, raw: str) -> None:
    await DRAFT.update(state, raw=raw)
    await state.set_state(ArchiveForm.confirm)


def company(customer: Customer) -> str:
    return f"{html.escape(customer.name)} ({html.escape(customer.code)})"


def fields_text(customer: Customer, fields: list[ArchiveField]) -> str:
    lines = [_("<b>{company}</b>: which field do you want to change?").format(company=company(customer))]
    for section in (Section.BASIC, Section.BUSINESS, Section.FINANCIAL):
        names = [_(field_label(f)) for f in fields if f.section is section]
        if names:
            lines.append(f"<b>{SECTION_NAMES[section]}</b>: " + "、".join(names))
    return "\n".join(lines)


def fields_keyboard(customer_id: int, fields: list[ArchiveField]) -> InlineKeyboardMarkup:
    """Sections in table order, each starting on a new row, two buttons per row."""
    builder = InlineKeyboardBuilder()
    for section in (Section.BASIC, Section.BUSINESS, Section.FINANCIAL):
        row = InlineKeyboardBuilder()
        for field in (f for f in fields if f.section is section):
            row.button(
                text=_(field_label(field)),
                callback_data=ArchiveFieldPick(customer_id=customer_id, code=field.code),
            )
        row.adjust(2)
        builder.attach(row)
    return builder.as_markup()


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


def choices_keyboard(field: ArchiveField) -> InlineKeyboardMarkup | None:
    if field.choices is None:
        return None
    builder = InlineKeyboardBuilder()
    for stored, label in field.choices.items():
        builder.button(text=_(label), callback_data=ArchiveValue(value=str(stored)))
    builder.adjust(2)
    return builder.as_markup()


def confirm_text(field: ArchiveField, customer: Customer, old: str, new: str) -> str:
    return "\n".join(
        [
            _("<b>{field}</b> of {company}").format(field=_(field_label(field)), company=company(customer)),
            f"{old} → {new}",
            _("Press Confirm to save it."),
        ]
    )


def confirm_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Confirm"), callback_data=ArchiveConfirm(save=True))
    builder.button(text=_("Cancel"), callback_data=ArchiveConfirm(save=False))
    return builder.as_markup()


def contacts_text(customer: Customer, contacts: list[Contact]) -> str:
    lines = [_("<b>Contacts of {company}</b>").format(company=company(customer))]
    for contact in contacts[:MAX_CONTACTS]:
        parts = [contact.name, contact.title, contact.phone, contact.email]
        lines.append("• " + html.escape(" · ".join(p for p in parts if p)))
    if not contacts:
        lines.append(_("No contacts yet."))
    return "\n".join(lines)


def contacts_keyboard(customer_id: int, contacts: list[Contact]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for contact in contacts[:MAX_CONTACTS]:
        builder.button(text=contact.name[:60], callback_data=ContactPick(contact_id=contact.id))
    builder.button(text=_("Add contact"), callback_data=ContactAdd(customer_id=customer_id))
    builder.adjust(2)
    return builder.as_markup()


def contact_fields_keyboard(contact_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for field in CONTACT_FIELDS.values():
        builder.button(
            text=_(field_label(field)), callback_data=ContactFieldPick(contact_id=contact_id, code=field.code)
        )
    builder.adjust(2)
    return builder.as_markup()
