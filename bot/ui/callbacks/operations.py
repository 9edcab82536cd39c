"""Callback data of the operations desk: the steps of the cargo-event form."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from portcrm.enums import CargoEventType


class EventTypeChoice(CallbackData, prefix="oet"):
    event_type: CargoEventType


class EventNow(CallbackData, prefix="onow"):
    pass


class EventSkipPlace(CallbackData, prefix="oskp"):
    pass
