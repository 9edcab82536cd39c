"""The buttons of visits: the /visit form's choices, the quick line's corrections, /today's shortcuts."""

from __future__ import annotations

import datetime as dt

from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.visits import (
    VisitAction,
    VisitChangeDate,
    VisitChangeMethod,
    VisitCustomerChoice,
    VisitDateChoice,
    VisitMethodChoice,
    VisitStep,
    packed,
)
from bot.ui.views.visits import TODAY_LINES
from portcrm.enums import ContactMethod, Grade
from portcrm.labels import CONTACT_METHOD_NAMES
from portcrm.models import Customer, Visit
from portcrm.services.archive.search import CustomerMatch
from portcrm.services.care.visits import MarketerRevisits, cadence_days
from portcrm.services.complaints.notices import clip

TODAY_BUTTONS = 20  # of the revisits /today lists, the user's own get a button each, up to this many


def customer_label(customer: Customer) -> str:
    return clip(f"{customer.code} · {customer.name}", 60)


def customers_keyboard(customers: list[Customer]) -> InlineKeyboardMarkup | None:
    if not customers:
        return None
    builder = InlineKeyboardBuilder()
    for customer in customers:
        builder.button(
            text=customer_label(customer), callback_data=VisitCustomerChoice(customer_id=customer.id)
        )
    builder.adjust(1)
    return builder.as_markup()


def matches_keyboard(matches: list[CustomerMatch]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for match in matches:
        label = clip(f"{match.code} · {match.name}", 60)
        builder.button(text=label, callback_data=VisitCustomerChoice(customer_id=match.customer_id))
    builder.adjust(1)
    return builder.as_markup()


def method_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for method in ContactMethod:
        builder.button(text=_(CONTACT_METHOD_NAMES[method]), callback_data=VisitMethodChoice(method=method))
    builder.adjust(2)
    return builder.as_markup()


def step_keyboard(action: VisitAction, label: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=label, callback_data=VisitStep(action=action))
    return builder.as_markup()


def date_choices(grade: Grade, today: dt.date, cadence: dict[str, int]) -> list[tuple[str, dt.date]]:
    """The grade's cadence first ("In 30 days (2026-12-24)"), then a week and two weeks."""
    days = cadence_days(grade, cadence)
    choices = []
    for n in dict.fromkeys((days, 7, 14)):
        on = today + dt.timedelta(days=n)
        choices.append((_("In {days} days ({date})").format(days=n, date=on.isoformat()), on))
    return choices


def date_keyboard(grade: Grade, today: dt.date, cadence: dict[str, int]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for label, on in date_choices(grade, today, cadence):
        builder.button(text=label, callback_data=VisitDateChoice(on=packed(on)))
    builder.adjust(1)
    return builder.as_markup()


def location_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📍 Share my location"), request_location=True)],
            [KeyboardButton(text=_("Skip"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def change_keyboard(
    visit: Visit, grade: Grade, today: dt.date, cadence: dict[str, int]
) -> InlineKeyboardMarkup:
    """The quick line's corrections: another method, another next date."""
    builder = InlineKeyboardBuilder()
    for method in ContactMethod:
        mark = "✓ " if method == visit.method else ""
        builder.button(
            text=mark + _(CONTACT_METHOD_NAMES[method]),
            callback_data=VisitChangeMethod(visit_id=visit.id, method=method),
        )
    for label, on in date_choices(grade, today, cadence):
        mark = "✓ " if on == visit.next_revisit_on else ""
        builder.button(text=mark + label, callback_data=VisitChangeDate(visit_id=visit.id, on=packed(on)))
    builder.adjust(3, 2, 1, 1, 1)
    return builder.as_markup()


def today_keyboard(groups: list[MarketerRevisits], staff_id: int) -> InlineKeyboardMarkup | None:
    """A log button for each of the user's own revisits among those /today lists (views.visits.today_text)."""
    listed = [revisit for group in groups for revisit in group.revisits][:TODAY_LINES]
    own = [revisit for revisit in listed if revisit.account_manager_id == staff_id][:TODAY_BUTTONS]
    if not own:
        return None
    builder = InlineKeyboardBuilder()
    for revisit in own:
        label = _("Log: {customer}").format(customer=clip(revisit.customer_name, 40))
        builder.button(text=label, callback_data=VisitCustomerChoice(customer_id=revisit.customer_id))
    builder.adjust(1)
    return builder.as_markup()
