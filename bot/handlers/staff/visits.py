"""Field marketers log visits: /visit (a form, or one quick line) and /today (revisits due).

Form: customer → method → notes → outcome → next revisit → location → photos → saved. The draft lives in
the FSM data, so a half-filled visit survives a restart; /cancel leaves it.
"""

from __future__ import annotations

import datetime as dt
import html

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms import visit as form
from bot.forms.steps import advance
from bot.forms.visit import VisitForm
from bot.handlers.filters import HasRole
from bot.ui.button_replies import answer, drop_buttons, reply, send, settle
from bot.ui.callbacks.visits import (
    VisitAction,
    VisitChangeDate,
    VisitChangeMethod,
    VisitCustomerChoice,
    VisitDateChoice,
    VisitMethodChoice,
    VisitStep,
    packed,
    unpacked,
)
from bot.ui.keyboards.visits import (
    change_keyboard,
    customers_keyboard,
    date_keyboard,
    location_keyboard,
    matches_keyboard,
    method_keyboard,
    step_keyboard,
    today_keyboard,
)
from bot.ui.views.visits import photos_prompt, saved_text, today_text
from portcrm.calendar import PortCalendar
from portcrm.enums import ContactMethod, Grade, Role
from portcrm.labels import CONTACT_METHOD_NAMES
from portcrm.models import Customer, Visit
from portcrm.services.care import visits
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings


def _now(settings: Settings) -> dt.datetime:
    return dt.datetime.now(settings.tz)


async def visit_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    assert identity.staff_id is not None
    code, _sep, notes = (command.args or "").strip().partition(" ")
    if not code:
        customers = await visits.recent_customers(session, identity.staff_id)
        text = _("<b>Log a visit</b>\nType the customer's code, or choose one of your customers.")
        await message.answer(
            text + "\n\n" + _("Send /cancel to stop at any time."),
            reply_markup=customers_keyboard(customers),
        )
        await form.start_draft(state)  # once asked (bot/forms/steps.py)
        return
    if not notes.strip():
        await _customer_given(message, state, session, code)
        return
    now = _now(settings)
    visit, customer = await visits.log_quick_visit(
        session, identity.staff_id, code, notes, now, settings.revisit_cadence_days, tz=settings.tz
    )
    await message.answer(
        saved_text(visit, customer.name),
        reply_markup=change_keyboard(visit, customer.grade, now.date(), settings.revisit_cadence_days),
    )


async def customer_typed(message: Message, state: FSMContext, session: AsyncSession) -> None:
    await _customer_given(message, state, session, message.text or "")


async def _customer_given(message: Message, state: FSMContext, session: AsyncSession, text: str) -> None:
    """A code, or a name to search: one customer goes on to the method, several are offered as buttons.

    Either way a fresh draft, written once its question is out (bot/forms/steps.py)."""
    customer, matches = await visits.resolve_customer(session, text)
    if customer is None:
        await message.answer(_("Which customer?"), reply_markup=matches_keyboard(matches))
    else:
        text, markup = _method_question(customer.name)
        await message.answer(text, reply_markup=markup)
    await form.start_draft(state, customer)


async def customer_chosen(
    query: CallbackQuery, callback_data: VisitCustomerChoice, state: FSMContext, session: AsyncSession
) -> None:
    """From the form's list or from /today: either way a fresh draft for this customer."""
    customer = await visits.visit_customer(session, callback_data.customer_id)
    await reply(query, *_method_question(customer.name))
    await form.start_draft(state, customer)  # once asked (bot/forms/steps.py)
    await answer(query)
    await drop_buttons(query)


async def method_chosen(query: CallbackQuery, callback_data: VisitMethodChoice, state: FSMContext) -> None:
    await form.DRAFT.update(state, method=callback_data.method.value)
    question = _("What was discussed? Type your notes (at most {limit} characters).")
    await advance(state, VisitForm.notes, send(query, question.format(limit=visits.MAX_NOTES)))
    await settle(query, _("Method: {method}").format(method=_(CONTACT_METHOD_NAMES[callback_data.method])))


async def notes_given(message: Message, state: FSMContext) -> None:
    await form.DRAFT.update(state, notes=visits.check_notes(message.text))
    question = message.answer(
        _("What came of it (the outcome)? Type it, or press Skip."),
        reply_markup=step_keyboard(VisitAction.SKIP_OUTCOME, _("Skip")),
    )
    await advance(state, VisitForm.outcome, question)


async def outcome_given(message: Message, state: FSMContext, settings: Settings) -> None:
    await form.DRAFT.update(state, outcome=visits.check_outcome(message.text))
    await _ask_date(message, state, settings)


async def outcome_skipped(query: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    await form.DRAFT.update(state, outcome=None)
    assert isinstance(query.message, Message)
    await _ask_date(query.message, state, settings)
    await settle(query, _("Outcome: {outcome}").format(outcome="—"))


async def date_chosen(
    query: CallbackQuery, callback_data: VisitDateChoice, state: FSMContext, settings: Settings
) -> None:
    on = unpacked(callback_data.on)
    if on is None:
        await answer(query, _("This button is no longer valid."), alert=True)
        return
    visits.check_next_date(on, _now(settings).date())
    assert isinstance(query.message, Message)
    await _date_set(query.message, state, on)
    await settle(query, _("Next revisit: {date}").format(date=on.isoformat()))


async def date_typed(message: Message, state: FSMContext, settings: Settings) -> None:
    on = visits.check_next_date(visits.parse_date(message.text or ""), _now(settings).date())
    assert on is not None
    await _date_set(message, state, on)


async def location_given(message: Message, state: FSMContext) -> None:
    assert message.location is not None
    await form.DRAFT.update(state, latitude=message.location.latitude, longitude=message.location.longitude)
    await message.answer(_("Location recorded."), reply_markup=ReplyKeyboardRemove())
    await _ask_photos(message, state)


async def location_text(message: Message, state: FSMContext) -> None:
    if (message.text or "").strip() != _("Skip"):
        await message.answer(_("Please share your location with the button below, or press Skip."))
        return
    await message.answer(_("No location recorded."), reply_markup=ReplyKeyboardRemove())
    await _ask_photos(message, state)


async def photo_received(message: Message, state: FSMContext) -> None:
    assert message.photo
    draft = await form.DRAFT.read(state)
    photos = visits.add_photo(draft.get("photos") or [], message.photo[-1].file_id)  # the largest size
    await form.DRAFT.update(state, photos=photos)
    await message.answer(photos_prompt(len(photos)), reply_markup=step_keyboard(VisitAction.DONE, _("Save")))


async def save(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    assert identity.staff_id is not None
    draft = await form.DRAFT.read(state)
    next_on = unpacked(draft.get("next_on") or "")
    visit = await visits.log_visit(
        session,
        identity.staff_id,
        int(draft["customer_id"]),
        ContactMethod(draft["method"]),
        draft["notes"],
        draft.get("outcome"),
        next_on,
        draft.get("latitude"),
        draft.get("longitude"),
        _now(settings),
        tz=settings.tz,
        photo_file_ids=draft.get("photos") or [],
    )
    await state.clear()
    await answer(query)
    await drop_buttons(query)
    await send(query, saved_text(visit, draft.get("customer") or ""))


async def method_changed(
    query: CallbackQuery,
    callback_data: VisitChangeMethod,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    assert identity.staff_id is not None
    today = _now(settings).date()
    visit, customer = await visits.change_visit(
        session, identity.staff_id, callback_data.visit_id, today=today, method=callback_data.method
    )
    await _show_saved(query, visit, customer, today, settings)


async def date_changed(
    query: CallbackQuery,
    callback_data: VisitChangeDate,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    assert identity.staff_id is not None
    on, today = unpacked(callback_data.on), _now(settings).date()
    if on is None:
        await answer(query, _("This button is no longer valid."), alert=True)
        return
    visit, customer = await visits.change_visit(
        session, identity.staff_id, callback_data.visit_id, today=today, next_revisit_on=on
    )
    await _show_saved(query, visit, customer, today, settings)


async def today(message: Message, session: AsyncSession, identity: Identity, settings: Settings) -> None:
    """Mine for a marketer; everyone's, grouped by account manager, for a manager."""
    assert identity.staff_id is not None
    day, cadence = _now(settings).date(), settings.revisit_cadence_days
    if identity.has_any(Role.MANAGER):
        groups = await visits.revisits_by_marketer(session, day, cadence, calendar=PortCalendar(settings))
    else:
        due = await visits.due_revisits(
            session, identity.staff_id, day, cadence, calendar=PortCalendar(settings)
        )
        groups = [visits.MarketerRevisits(identity.staff_id, identity.staff_name, due)] if due else []
    text = today_text(groups, grouped=identity.has_any(Role.MANAGER))
    await message.answer(text, reply_markup=today_keyboard(groups, identity.staff_id))


async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Visit not saved."), reply_markup=ReplyKeyboardRemove())


async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please use the buttons above, or send /cancel to stop."))


async def send_photos(message: Message) -> None:
    await message.answer(_("Please send photos, or press Save when you are done."))


def _method_question(customer_name: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _("Visit to <b>{customer}</b>. How did you contact them?").format(
        customer=html.escape(customer_name)
    )
    return text, method_keyboard()


async def _ask_date(message: Message, state: FSMContext, settings: Settings) -> None:
    draft = await form.DRAFT.read(state)
    grade, today = Grade(draft["grade"]), _now(settings).date()
    question = message.answer(
        _("When should the next revisit be? Choose, or type a date as YYYY-MM-DD."),
        reply_markup=date_keyboard(grade, today, settings.revisit_cadence_days),
    )
    await advance(state, VisitForm.next_date, question)


async def _date_set(message: Message, state: FSMContext, on: dt.date) -> None:
    await form.DRAFT.update(state, next_on=packed(on))
    question = message.answer(
        _("Next revisit: {date}").format(date=on.isoformat())
        + "\n"
        + _("Check in with your location? Press the button below, or Skip."),
        reply_markup=location_keyboard(),
    )
    await advance(state, VisitForm.location, question)


async def _ask_photos(message: Message, state: FSMContext) -> None:
    question = message.answer(photos_prompt(0), reply_markup=step_keyboard(VisitAction.DONE, _("Save")))
    await advance(state, VisitForm.photos, question)


async def _show_saved(
    query: CallbackQuery, visit: Visit, customer: Customer, today: dt.date, settings: Settings
) -> None:
    await answer(query)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            saved_text(visit, customer.name),
            reply_markup=change_keyboard(visit, customer.grade, today, settings.revisit_cadence_days),
        )


def build_router() -> Router:
    """Market department and managers (admins need not log visits)."""
    router = Router(name=__name__)
    allowed = HasRole(Role.MARKET, Role.MANAGER)
    router.message.filter(allowed)
    router.callback_query.filter(allowed)
    not_command = ~F.text.startswith("/")
    router.message.register(visit_command, Command("visit"))
    router.message.register(today, Command("today"))
    router.message.register(cancel, Command("cancel"), StateFilter(VisitForm))
    router.callback_query.register(customer_chosen, VisitCustomerChoice.filter())
    router.callback_query.register(method_chosen, VisitMethodChoice.filter(), VisitForm.method)
    router.callback_query.register(
        outcome_skipped, VisitStep.filter(F.action == VisitAction.SKIP_OUTCOME), VisitForm.outcome
    )
    router.callback_query.register(date_chosen, VisitDateChoice.filter(), VisitForm.next_date)
    router.callback_query.register(save, VisitStep.filter(F.action == VisitAction.DONE), VisitForm.photos)
    router.callback_query.register(method_changed, VisitChangeMethod.filter())
    router.callback_query.register(date_changed, VisitChangeDate.filter())
    router.message.register(customer_typed, VisitForm.customer, F.text, not_command)
    router.message.register(notes_given, VisitForm.notes, F.text, not_command)
    router.message.register(outcome_given, VisitForm.outcome, F.text, not_command)
    router.message.register(date_typed, VisitForm.next_date, F.text, not_command)
    router.message.register(location_given, VisitForm.location, F.location)
    router.message.register(location_text, VisitForm.location, F.text, not_command)
    router.message.register(photo_received, VisitForm.photos, F.photo)
    router.message.register(send_photos, VisitForm.photos, not_command)
    router.message.register(use_the_buttons, StateFilter(VisitForm), not_command)
    return router
