"""The cargo-event form (/event alone) and the upload state (/events): states, draft and time format."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from aiogram.fsm.state import State, StatesGroup

from bot.forms.drafts import Draft
from portcrm.enums import CargoEventType

DRAFT = Draft("cargo_event")
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
