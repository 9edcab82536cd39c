"""The cargo-event form (/event alone) and the upload state (/events): states, keyboards and the time format.

The draft is kept in the conversation data under "cargo_event" (JSON only), so it survives a restart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.operations import EventNow, EventSkipPlace, EventTypeChoice
from portcrm.enums import CargoEventType
from portcrm.labels import CARGO_EVENT_NAMES

DRAFT = "cargo_event"
TIME_FORMAT = "%Y-%m-%d %H:%M"


class CargoEventForm(StatesGroup):
    reference = State()
    event_type = State()
    time = State()
    place = State()


class EventsUpload(StatesGroup):
    file = State()


def parse_port_time(text: str, tz: ZoneInfo) -> dt.datetime | None:
    """ "YYYY-MM-DD HH:MM" on the port's clock, or None when it does not read so."""
    try:
        return dt.datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=tz)
    except ValueError:
        return None


def event_type_of(text: str) -> CargoEventType | None:
    try:
        return CargoEventType(text.strip().lower())
    except ValueError:
        return None


async def read_draft(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get(DRAFT) or {})


async def update_draft(state: FSMContext, **values: Any) -> dict[str, Any]:
    draft = {**await read_draft(state), **values}
    await state.update_data({DRAFT: draft})
    return draft


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
