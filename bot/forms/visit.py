"""The visit form: its states, the draft kept in conversation data (JSON), its keyboards and texts."""

from __future__ import annotations

import datetime as dt
import html

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.forms.drafts import Draft
from bot.ui.callbacks.visits import (
    VisitAction,
    VisitChangeDate,
    VisitChangeMethod,
    VisitCustomerChoice,
    VisitDateChoice,
    VisitMethodChoice,
    VisitStep,
)
from portcrm.enums import ContactMethod, Grade
from portcrm.labels import CONTACT_METHOD_NAMES
from portcrm.models import Customer, Visit
from portcrm.services.archive.search import CustomerMatch
from portcrm.services.care.revisits import DueRevisit
from portcrm.services.care.visits import MAX_PHOTOS, PHOTOS_FOOTER, MarketerRevisits, cadence_days
from portcrm.services.complaints.notices import clip

DRAFT = Draft("visit")
TODAY_LINES = 30
TODAY_BUTTONS = 20


class VisitForm(StatesGroup):
    customer = State()
    method = State()
    notes = State()
    outcome = State()
    next_date = State()
    location = State()
    photos = State()


async def start_draft(state: FSMContext, customer: Customer | None = None) -> None:
    """A fresh draft (any earlier form is dropped), at the customer step or, if known, the method step."""
    await DRAFT.start(state, photos=[])
    if customer is None:
        await state.set_state(VisitForm.customer)
    else:
        await choose_customer(state, customer)


async def choose_customer(state: FSMContext, customer: Customer) -> None:
    await DRAFT.update(state, customer_id=customer.id, customer=customer.name, grade=customer.grade.value)
    await state.set_state(VisitForm.method)


def packed(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def unpacked(value: str) -> dt.date | None:
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


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


def photos_prompt(count: int) -> str:
    if count == 0:
        return _(
            "You can add up to {limit} photos (business cards, the site). Send them now, or press Save."
        ).format(limit=MAX_PHOTOS)
    return _("Received {count} of at most {limit} photos. Send more, or press Save.").format(
        count=count, limit=MAX_PHOTOS
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


def saved_text(visit: Visit, customer_name: str) -> str:
    """What was saved, escaped, within one message (notes clipped; the photo footer is counted, not shown)."""
    notes, _sep, photos = visit.notes.partition("\n\n" + PHOTOS_FOOTER + "\n")
    lines = [
        _("<b>Visit saved</b>"),
        _("Customer: {customer}").format(customer=html.escape(customer_name)),
        _("Method: {method}").format(method=_(CONTACT_METHOD_NAMES[visit.method])),
        _("Next revisit: {date}").format(
            date=visit.next_revisit_on.isoformat() if visit.next_revisit_on else "—"
        ),
    ]
    if visit.outcome:
        lines.append(_("Outcome: {outcome}").format(outcome=html.escape(clip(visit.outcome, 500))))
    if visit.latitude is not None and visit.longitude is not None:
        lines.append(_("Location: {lat:.5f}, {lon:.5f}").format(lat=visit.latitude, lon=visit.longitude))
    if photos:
        lines.append(_("Photos: {count}").format(count=len(photos.splitlines())))
    lines += ["", html.escape(clip(notes, 2500))]
    return "\n".join(lines)


def _revisit_line(revisit: DueRevisit) -> str:
    if revisit.days_overdue == 0:
        due = _("due today")
    else:
        due = ngettext("{days} day overdue", "{days} days overdue", revisit.days_overdue).format(
            days=revisit.days_overdue
        )
    last = (
        _("last visit {date}").format(date=revisit.last_visit_on.isoformat())
        if revisit.last_visit_on
        else _("never visited")
    )
    name = html.escape(clip(revisit.customer_name, 60))
    return f"• <b>{name}</b> · {revisit.grade.value} · {due} · {last}"


def today_view(
    groups: list[MarketerRevisits], staff_id: int, *, grouped: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    """At most TODAY_LINES revisits, then "… and N more"; a log button for each of one's own shown."""
    total = sum(len(g.revisits) for g in groups)
    if total == 0:
        return _("No revisits are due today."), None
    lines = [_("<b>Revisits due today and overdue</b> ({count})").format(count=total)]
    builder, shown, buttons = InlineKeyboardBuilder(), 0, 0
    for group in groups:
        if shown >= TODAY_LINES:
            break
        if grouped:
            name = group.staff_name or _("No account manager")
            lines += ["", f"<b>{html.escape(name)}</b>"]
        for revisit in group.revisits[: TODAY_LINES - shown]:
            lines.append(_revisit_line(revisit))
            shown += 1
            if revisit.account_manager_id == staff_id and buttons < TODAY_BUTTONS:
                label = _("Log: {customer}").format(customer=clip(revisit.customer_name, 40))
                builder.button(text=label, callback_data=VisitCustomerChoice(customer_id=revisit.customer_id))
                buttons += 1
    if total > shown:
        lines.append(_("… and {count} more").format(count=total - shown))
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup() if buttons else None
