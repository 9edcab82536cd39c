"""The cargo-event form's buttons: the event type, "Now" for the time, "Skip" for the place."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.operations import EventNow, EventSkipPlace, EventTypeChoice
from portcrm.enums import CargoEventType
from portcrm.labels import CARGO_EVENT_NAMES


def event_type_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for event_type in CargoEventType:
        builder.button(
            text=_(CARGO_EVENT_NAMES[event_type]), callback_data=EventTypeChoice(event_type=event_type)
        )
    builder.adjust(2)
    return builder.as_markup()


def now_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Now"), callback_data=EventNow())
    return builder.as_markup()


def skip_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Skip"), callback_data=EventSkipPlace())
    return builder.as_markup()
