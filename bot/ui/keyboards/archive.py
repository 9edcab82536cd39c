"""The buttons of /edit and /contact: fields by section, a field's choices, Confirm, the contacts."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.archive import (
    ArchiveConfirm,
    ArchiveFieldPick,
    ArchiveValue,
    ContactAdd,
    ContactFieldPick,
    ContactPick,
)
from bot.ui.views.archive import MAX_CONTACTS
from portcrm.models import Contact
from portcrm.services.archive.fields import CONTACT_FIELDS, ArchiveField, Section, field_label


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


def choices_keyboard(field: ArchiveField) -> InlineKeyboardMarkup | None:
    if field.choices is None:
        return None
    builder = InlineKeyboardBuilder()
    for stored, label in field.choices.items():
        builder.button(text=_(label), callback_data=ArchiveValue(value=str(stored)))
    builder.adjust(2)
    return builder.as_markup()


def confirm_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Confirm"), callback_data=ArchiveConfirm(save=True))
    builder.button(text=_("Cancel"), callback_data=ArchiveConfirm(save=False))
    return builder.as_markup()


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
