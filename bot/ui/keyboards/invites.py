"""The buttons of /invite: whom at the customer the link is for."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.invites import InviteContact
from portcrm.models import Contact

MAX_CHOICES = 10


def contact_keyboard(contacts: list[Contact]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for contact in contacts[:MAX_CHOICES]:
        label = f"{contact.name} · {contact.title}" if contact.title else contact.name
        builder.button(text=label[:60], callback_data=InviteContact(contact_id=contact.id))
    builder.adjust(1)
    return builder.as_markup()
