"""The hotline: a colleague logs a complaint a customer made by phone (☎ on the customer's /find card).

The complaint is filed once (the draft's key), with channel phone and the colleague as the one who took
it, and then follows the same desk as any other; a linked caller is told the reference like any complainant.
"""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms.phone_complaint import DRAFT, PhoneComplaintForm, start_draft, to_draft
from bot.forms.steps import advance
from bot.handlers.filters import HasRole
from bot.ui.button_replies import answer, drop_buttons, send, settle
from bot.ui.callbacks.complaints import ComplaintCategoryChoice, ComplaintShipmentChoice, DraftAction
from bot.ui.callbacks.hotline import PhoneCaller, PhoneComplaintStart, PhoneDraftStep
from bot.ui.keyboards.complaints import category_keyboard, shipment_keyboard
from bot.ui.keyboards.hotline import callers_keyboard, confirm_keyboard, logged_keyboard
from bot.ui.views.complaints import shipment_label
from bot.ui.views.hotline import call_summary
from portcrm.labels import COMPLAINT_CATEGORY_NAMES, person_name
from portcrm.services.complaints import hotline
from portcrm.services.complaints.intake import check_text, choose_shipment, shipment_choices
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings


async def how_to_log(message: Message) -> None:
    await message.answer(
        _(
            "To log a complaint taken on the hotline, look the company up with /find and press "
            "☎ Phone complaint on its card."
        )
    )


async def start(
    query: CallbackQuery, callback_data: PhoneComplaintStart, state: FSMContext, session: AsyncSession
) -> None:
    company = await hotline.callers_of(session, callback_data.customer_id)
    await answer(query)
    question = _("<b>Complaint by phone</b> for {company}\nWho called?").format(
        company=html.escape(company.customer_name)
    )
    await send(
        query, question + "\n\n" + _("Send /cancel to stop at any time."), callers_keyboard(company.callers)
    )
    await start_draft(state, company.customer_id, company.customer_name)  # once the question is out


async def caller_chosen(
    query: CallbackQuery, callback_data: PhoneCaller, state: FSMContext, session: AsyncSession
) -> None:
    draft = await DRAFT.read(state)
    name = None
    if callback_data.contact_id:
        name = (await hotline.caller(session, draft["customer_id"], callback_data.contact_id)).name
    await answer(query)
    await DRAFT.update(state, contact_id=callback_data.contact_id or None, caller_name=name)
    await advance(
        state, PhoneComplaintForm.category, send(query, _("What is it about?"), category_keyboard())
    )
    who = person_name(name, _) if name else _("someone who is not a listed contact")
    await settle(query, _("Caller: {caller}").format(caller=html.escape(who)))


async def category_chosen(
    query: CallbackQuery, callback_data: ComplaintCategoryChoice, state: FSMContext, session: AsyncSession
) -> None:
    draft = await DRAFT.update(state, category=callback_data.category.value)
    await answer(query)
    shipments = await shipment_choices(session, draft["customer_id"])
    if shipments:
        question = send(query, _("Which shipment is it about?"), shipment_keyboard(shipments))
        await advance(state, PhoneComplaintForm.shipment, question)
    else:
        await _ask_description(query, state)
    await settle(
        query, _("Category: {category}").format(category=_(COMPLAINT_CATEGORY_NAMES[callback_data.category]))
    )


async def shipment_chosen(
    query: CallbackQuery, callback_data: ComplaintShipmentChoice, state: FSMContext, session: AsyncSession
) -> None:
    draft = await DRAFT.read(state)
    label = None
    if callback_data.shipment_id:
        label = shipment_label(
            await choose_shipment(session, draft["customer_id"], callback_data.shipment_id)
        )
    await answer(query)
    await DRAFT.update(state, shipment_id=callback_data.shipment_id or None, shipment_label=label)
    await _ask_description(query, state)
    await settle(query, _("Shipment: {shipment}").format(shipment=html.escape(label or _("none"))))


async def description_given(message: Message, state: FSMContext) -> None:
    draft = await DRAFT.update(state, description=check_text(message.text))
    question = message.answer(call_summary(draft), reply_markup=confirm_keyboard(draft["key"]))
    await advance(state, PhoneComplaintForm.confirm, question)


async def log_it(
    query: CallbackQuery,
    callback_data: PhoneDraftStep,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    """Files the call once; pressed again (or replayed after a crash) it finds the same complaint."""
    draft = await DRAFT.read(state)
    if draft.get("key") == callback_data.key and await state.get_state() == PhoneComplaintForm.confirm.state:
        assert identity.staff_id is not None  # the router lets only staff in
        submission = await hotline.log_call(
            session,
            to_draft(draft),
            staff_id=identity.staff_id,
            tz=settings.tz,
            default_locale=settings.default_locale,
        )
        await state.clear()
        logged = hotline.Logged(submission.complaint.id, submission.complaint.ticket, draft["customer_name"])
    else:  # pressed again after it was logged (or replayed after a crash), or a discarded draft's button
        found = await hotline.logged_by_key(session, callback_data.key)
        if found is None:
            await answer(query, _("This button is no longer valid."), alert=True)
            return
        logged = found
    await answer(query, _("Complaint {ticket} logged.").format(ticket=logged.ticket))
    text = _(
        "Complaint <b>{ticket}</b> logged for {company}. It follows the desk like any other; a caller "
        "linked in chat is told the reference there."
    ).format(ticket=logged.ticket, company=html.escape(logged.customer_name))
    await send(query, text, logged_keyboard(logged.complaint_id))
    await drop_buttons(query)


async def discard(query: CallbackQuery, callback_data: PhoneDraftStep, state: FSMContext) -> None:
    if (await DRAFT.read(state)).get("key") != callback_data.key:
        await answer(query, _("This button is no longer valid."), alert=True)
        return
    await state.clear()
    await settle(query, _("Complaint by phone cancelled. Nothing was logged."))


async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Complaint by phone cancelled. Nothing was logged."))


async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please use the buttons above, or send /cancel to stop."))


async def in_words(message: Message) -> None:
    await message.answer(_("Please write down what the caller said, in words."))


async def _ask_description(query: CallbackQuery, state: FSMContext) -> None:
    question = _("What did the caller say? Write down the problem, when it happened and what they expect.")
    await advance(state, PhoneComplaintForm.description, send(query, question))


def build_router() -> Router:
    router = Router(name=__name__)
    allowed = HasRole(*hotline.LOGGERS)
    router.message.filter(allowed)
    router.callback_query.filter(allowed)
    form = StateFilter(PhoneComplaintForm)
    not_command = ~F.text.startswith("/")
    router.message.register(how_to_log, Command("logcall"))
    router.message.register(cancel, Command("cancel"), form)
    router.callback_query.register(start, PhoneComplaintStart.filter())
    router.callback_query.register(caller_chosen, PhoneCaller.filter(), PhoneComplaintForm.caller)
    router.callback_query.register(
        category_chosen, ComplaintCategoryChoice.filter(), PhoneComplaintForm.category
    )
    router.callback_query.register(
        shipment_chosen, ComplaintShipmentChoice.filter(), PhoneComplaintForm.shipment
    )
    router.callback_query.register(log_it, PhoneDraftStep.filter(F.action == DraftAction.SUBMIT))
    router.callback_query.register(discard, PhoneDraftStep.filter(F.action == DraftAction.CANCEL))
    router.message.register(description_given, PhoneComplaintForm.description, F.text, not_command)
    router.message.register(in_words, PhoneComplaintForm.description, ~F.text)
    router.message.register(
        use_the_buttons,
        StateFilter(
            PhoneComplaintForm.caller,
            PhoneComplaintForm.category,
            PhoneComplaintForm.shipment,
            PhoneComplaintForm.confirm,
        ),
        not_command,
    )
    return router
