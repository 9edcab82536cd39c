"""Prospects: /lead records one (a form), /leads lists the open ones to move along or convert to a customer.

A marketer works their own leads; a manager may work anyone's.
"""

from __future__ import annotations

import datetime as dt
import html

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms import lead as form
from bot.forms.lead import OPTIONAL_STEPS, LeadConvertForm, LeadForm
from bot.forms.steps import advance
from bot.handlers.errors import Reply, on_refusal
from bot.handlers.filters import HasRole
from bot.ui.button_replies import answer, drop_buttons, send, settle
from bot.ui.callbacks.leads import (
    LeadConvert,
    LeadConvertType,
    LeadOpen,
    LeadSkip,
    LeadSourceChoice,
    LeadStatusChange,
    LeadTypeChoice,
)
from bot.ui.keyboards.leads import card_keyboard, list_keyboard, skip_keyboard, source_keyboard, type_keyboard
from bot.ui.views.leads import card_text, list_text, prompt
from portcrm.enums import CustomerType, Role
from portcrm.labels import CUSTOMER_TYPE_NAMES, LEAD_SOURCE_NAMES
from portcrm.models import Customer
from portcrm.services.development import leads
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings

_CHECKS = {
    LeadForm.contact.state: ("contact_name", leads.check_contact_name),
    LeadForm.phone.state: ("phone", leads.check_phone),
    LeadForm.volume.state: ("expected_volume_teu", leads.parse_volume),
    LeadForm.notes.state: ("notes", leads.check_lead_notes),
}


def _manager(identity: Identity) -> bool:
    return identity.has_any(Role.MANAGER)


async def start(message: Message, state: FSMContext) -> None:
    await message.answer(
        _("<b>New lead</b>\nWhat is the company's name?") + "\n\n" + _("Send /cancel to stop at any time.")
    )
    await form.DRAFT.start(state)  # once asked (bot/forms/steps.py)
    await state.set_state(LeadForm.company)


async def company_given(message: Message, state: FSMContext) -> None:
    await form.DRAFT.update(state, company_name=leads.check_company(message.text))
    question = message.answer(_("What kind of company is it?"), reply_markup=type_keyboard())
    await advance(state, LeadForm.type, question)


async def type_chosen(query: CallbackQuery, callback_data: LeadTypeChoice, state: FSMContext) -> None:
    value = callback_data.customer_type
    if value and value not in set(CustomerType):
        await answer(query, _("This button is no longer valid."), alert=True)
        return
    await form.DRAFT.update(state, customer_type=value or None)
    label = _(CUSTOMER_TYPE_NAMES[CustomerType(value)]) if value else "—"
    await advance(state, LeadForm.source, send(query, _("Where did the lead come from?"), source_keyboard()))
    await settle(query, _("Customer type: {type}").format(type=label))


async def source_chosen(query: CallbackQuery, callback_data: LeadSourceChoice, state: FSMContext) -> None:
    await form.DRAFT.update(state, source=callback_data.source.value)
    await _ask(state, OPTIONAL_STEPS[0], query=query)
    await settle(query, _("Source: {source}").format(source=_(LEAD_SOURCE_NAMES[callback_data.source])))


async def optional_given(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    """Contact, phone, volume or notes: validated, kept, then the next question (or the save)."""
    current = await state.get_state()
    field, check = _CHECKS[str(current)]
    await form.DRAFT.update(state, **{field: check(message.text or "")})
    await _next(message, state, session, identity, str(current))


async def skipped(query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity) -> None:
    await answer(query)
    assert isinstance(query.message, Message)
    await _next(query.message, state, session, identity, str(await state.get_state()))
    await drop_buttons(query)  # Skip stays until the next question is out


async def list_leads(message: Message, session: AsyncSession, identity: Identity) -> None:
    assert identity.staff_id is not None
    found = await leads.open_leads(session, None if _manager(identity) else identity.staff_id)
    await message.answer(list_text(found), reply_markup=list_keyboard(found))


async def open_card(
    query: CallbackQuery, callback_data: LeadOpen, session: AsyncSession, identity: Identity
) -> None:
    assert identity.staff_id is not None
    lead = await leads.get_open_lead(
        session, callback_data.lead_id, identity.staff_id, any_owner=_manager(identity)
    )
    await answer(query)
    await send(query, card_text(lead), card_keyboard(lead))


async def status_changed(
    query: CallbackQuery, callback_data: LeadStatusChange, session: AsyncSession, identity: Identity
) -> None:
    assert identity.staff_id is not None
    lead = await leads.set_lead_status(
        session, callback_data.lead_id, callback_data.status, identity.staff_id, any_owner=_manager(identity)
    )
    await answer(query)
    if isinstance(query.message, Message):
        markup = card_keyboard(lead) if lead.status in leads.OPEN_STATUSES else None
        await query.message.edit_text(card_text(lead), reply_markup=markup)


async def convert_start(
    query: CallbackQuery,
    callback_data: LeadConvert,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    assert identity.staff_id is not None
    lead = await leads.get_open_lead(
        session, callback_data.lead_id, identity.staff_id, any_owner=_manager(identity)
    )
    await send(
        query,
        _("Converting {company} into a customer. Type the new customer code (for example NBF001).").format(
            company=html.escape(lead.company_name)
        )
        + "\n"
        + _("Send /cancel to stop."),
    )
    await form.CONVERT.start(state, lead_id=lead.id)  # once asked (bot/forms/steps.py)
    await state.set_state(LeadConvertForm.code)
    await answer(query)


async def code_given(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    assert identity.staff_id is not None
    code = leads.check_code(message.text or "")
    data = await form.CONVERT.update(state, code=code)
    lead = await leads.get_open_lead(
        session, int(data["lead_id"]), identity.staff_id, any_owner=_manager(identity)
    )
    if lead.customer_type is None:
        question = message.answer(
            _("What kind of company is it?"), reply_markup=type_keyboard(for_conversion=True)
        )
        await advance(state, LeadConvertForm.type, question)
        return
    await _convert(message, state, session, identity, settings, None)


async def convert_type_chosen(
    query: CallbackQuery,
    callback_data: LeadConvertType,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    await answer(query)
    await drop_buttons(query)
    assert isinstance(query.message, Message)
    await _convert(query.message, state, session, identity, settings, callback_data.customer_type)


async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled. Nothing was saved."))


async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please use the buttons above, or send /cancel to stop."))


async def _convert(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    kind: CustomerType | None,
) -> None:
    assert identity.staff_id is not None
    data = await form.CONVERT.read(state)
    customer: Customer = await leads.convert_lead(
        session,
        int(data["lead_id"]),
        identity.staff_id,
        str(data["code"]),
        today=dt.datetime.now(settings.tz).date(),
        any_owner=_manager(identity),
        customer_type=kind,
    )
    await state.clear()
    await message.answer(
        _("Customer <b>{code}</b> {name} created (grade C); the lead is marked won.").format(
            code=html.escape(customer.code), name=html.escape(customer.name)
        )
    )


async def _next(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity, current: str
) -> None:
    steps = [step.state for step in OPTIONAL_STEPS]
    index = steps.index(current) + 1
    if index < len(steps):
        await _ask(state, OPTIONAL_STEPS[index], message=message)
        return
    assert identity.staff_id is not None
    draft = await form.DRAFT.read(state)
    lead = await leads.create_lead(session, identity.staff_id, form.to_draft(draft))
    await state.clear()
    await message.answer(_("Lead saved.") + "\n\n" + card_text(lead), reply_markup=card_keyboard(lead))


async def _ask(
    state: FSMContext, step: State, *, message: Message | None = None, query: CallbackQuery | None = None
) -> None:
    if query is not None:
        await advance(state, step, send(query, prompt(step), skip_keyboard()))
    elif message is not None:
        await advance(state, step, message.answer(prompt(step), reply_markup=skip_keyboard()))


def build_router() -> Router:
    """Market department and managers."""
    router = Router(name=__name__)
    allowed = HasRole(Role.MARKET, Role.MANAGER)
    router.message.filter(allowed)
    router.callback_query.filter(allowed)
    not_command = ~F.text.startswith("/")
    router.message.register(start, Command("lead"))
    router.message.register(list_leads, Command("leads"))
    router.message.register(cancel, Command("cancel"), StateFilter(LeadForm, LeadConvertForm))
    router.callback_query.register(type_chosen, LeadTypeChoice.filter(), LeadForm.type)
    router.callback_query.register(source_chosen, LeadSourceChoice.filter(), LeadForm.source)
    # these two answer their button before the service may refuse: the reason goes to the chat
    answered = on_refusal(reply=Reply.MESSAGE)
    router.callback_query.register(skipped, LeadSkip.filter(), StateFilter(*OPTIONAL_STEPS), flags=answered)
    router.callback_query.register(open_card, LeadOpen.filter())
    router.callback_query.register(status_changed, LeadStatusChange.filter())
    router.callback_query.register(convert_start, LeadConvert.filter())
    router.callback_query.register(
        convert_type_chosen, LeadConvertType.filter(), LeadConvertForm.type, flags=answered
    )
    router.message.register(company_given, LeadForm.company, F.text, not_command)
    router.message.register(optional_given, StateFilter(*OPTIONAL_STEPS), F.text, not_command)
    router.message.register(code_given, LeadConvertForm.code, F.text, not_command)
    router.message.register(use_the_buttons, StateFilter(LeadForm, LeadConvertForm), not_command)
    return router
