"""Callback data of visits: the /visit form's choices, /today's shortcuts and the quick line's corrections.

Dates travel as YYYYMMDD and are checked again (not in the past) when pressed.
"""

from __future__ import annotations

import datetime as dt
import enum

from aiogram.filters.callback_data import CallbackData

from portcrm.enums import ContactMethod


class VisitAction(enum.StrEnum):
    SKIP_OUTCOME = "so"
    DONE = "done"  # no (more) photos: save


class VisitCustomerChoice(CallbackData, prefix="vcus"):
    """Also /today's "log the visit" button: starts the form with this customer chosen."""

    customer_id: int


class VisitMethodChoice(CallbackData, prefix="vmth"):
    method: ContactMethod


class VisitDateChoice(CallbackData, prefix="vdat"):
    on: str  # YYYYMMDD


class VisitStep(CallbackData, prefix="vstp"):
    action: VisitAction


class VisitChangeMethod(CallbackData, prefix="vchm"):
    visit_id: int
    method: ContactMethod


class VisitChangeDate(CallbackData, prefix="vchd"):
    visit_id: int
    on: str  # YYYYMMDD


def packed(day: dt.date) -> str:
    """A date as it travels in a button (and in the visit draft): YYYYMMDD."""
    return day.strftime("%Y%m%d")


def unpacked(value: str) -> dt.date | None:
    """The date a button carries, or None for a payload that is not one."""
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None
