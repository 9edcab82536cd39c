"""Following a complaint: /complaints and its cards, and the customer's answers to the port's pushes.

A push's button (Reply, Reject, a rating) may come while a complaint draft is open: the follow-up remembers
the draft's step in "followup" and returns to it when done, so the draft is not lost.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms.complaint import ComplaintForm
from bot.forms.drafts import Draft
from bot.handlers.errors import on_refusal
from bot.ui.button_replies import SEND_FAILURES, answer, drop_buttons, send, show
from bot.ui.callbacks.complaints import ComplaintRating, CustomerComplaintCard, CustomerComplaintStep
from bot.ui.keyboards.complaints import card_keyboard, list_keyboard, skip_comment_keyboard
from bot.ui.views.complaints import card_date, customer_card_text
from portcrm.enums import ComplaintStatus
from portcrm.labels import COMPLAINT_CATEGORY_NAMES, COMPLAINT_STATUS_NAMES
from portcrm.services.complaints import cards, flow, relay
from portcrm.services.complaints.notices import CustomerStep
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings

log = logging.getLogger(__name__)
FOLLOWUP = Draft("followup")  # the complaint being answered, and the draft step to return to


class ComplaintFollowUp(StatesGroup):
    answer = State()
    reject_reason = State()
    rating_comment = State()
    desk_message = State()  # "Write to the desk": a text, photo or file for the complaint's topic


async def list_complaints(
    message: Message, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    assert identity.customer_id is not None
    complaints = await cards.customer_complaints(session, identity.customer_id)
    if not complaints:
        await message.answer(_("Your company has no complaints with us. Send /complaint to file one."))
        return
    lines = [_("<b>Your complaints</b> (newest first)")]
    for c in complaints:
        category, status = _(COMPLAINT_CATEGORY_NAMES[c.category]), _(COMPLAINT_STATUS_NAMES[c.status])
        lines.append(f"• <b>{c.ticket}</b> · {category} · {status} · {card_date(c.created_at, settings.tz)}")
    await message.answer("\n".join(lines), reply_markup=list_keyboard(complaints))


async def open_card(
    query: CallbackQuery,
    callback_data: CustomerComplaintCard,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    card = await cards.complaint_card(session, callback_data.complaint_id, customer_id=identity.customer_id)
    await answer(query)
    await send(query, customer_card_text(card, settings.tz), card_keyboard(card))


async def accept(
    query: CallbackQuery,
    callback_data: CustomerComplaintStep,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    """The proposal is accepted: the pressed message (a push or the card) becomes the resolved card."""
    assert identity.customer_id is not None
    complaint = await flow.customer_accepts(
        session, callback_data.complaint_id, identity.customer_id, identity.contact_id, settings=settings
    )
    await answer(query, _("Thank you! Complaint {ticket} is resolved.").format(ticket=complaint.ticket))
    card = await cards.complaint_card(session, complaint.id, customer_id=identity.customer_id)
    try:
        await show(query, customer_card_text(card, settings.tz), card_keyboard(card))
    except SEND_FAILURES as error:  # accepted all the same: the outbox's notice tells them too
        log.warning("the accepted proposal's message was not updated: %s", error)
        await drop_buttons(query)


async def ask_for_text(
    query: CallbackQuery,
    callback_data: CustomerComplaintStep,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    """Reply and Reject need the customer's words: check the button, ask, then wait for the text."""
    assert identity.customer_id is not None
    rejecting = callback_data.step == CustomerStep.REJECT
    if callback_data.step == CustomerStep.WRITE:
        complaint = await flow.expect_customer_writes(
            session, callback_data.complaint_id, identity.customer_id
        )
        prompt = _("Write your message about complaint {ticket}; you can also send a photo or a file.")
        await send(query, prompt.format(ticket=complaint.ticket) + "\n" + _("Send /cancel to stop."))
        await _enter(state, ComplaintFollowUp.desk_message, complaint.id)
        await answer(query)
        return
    needed = ComplaintStatus.RESOLUTION_PROPOSED if rejecting else ComplaintStatus.AWAITING_CUSTOMER
    complaint = await flow.expect_customer_step(
        session, callback_data.complaint_id, identity.customer_id, needed
    )
    if rejecting:
        prompt = _("Please tell us why the proposed resolution does not work for you ({ticket}).")
    else:
        prompt = _("Please type your answer for complaint {ticket}.")
    await send(query, prompt.format(ticket=complaint.ticket) + "\n" + _("Send /cancel to stop."))
    # once the question is out (bot/forms/steps.py): the push's button asks it again meanwhile
    await _enter(
        state, ComplaintFollowUp.reject_reason if rejecting else ComplaintFollowUp.answer, complaint.id
    )
    await answer(query)


async def text_given(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    assert identity.customer_id is not None
    current, complaint_id = await state.get_state(), await _complaint_id(state)
    args = (session, complaint_id, identity.customer_id, identity.contact_id, message.text or "")
    if current == ComplaintFollowUp.answer.state:
        await flow.customer_answers(*args, settings=settings)
        reply = _("Thank you, your answer has been passed on to our colleague.")
    elif current == ComplaintFollowUp.reject_reason.state:
        await flow.customer_rejects(*args, settings=settings)
        reply = _("Thank you for telling us. We are looking into your complaint again.")
    elif current == ComplaintFollowUp.desk_message.state:
        await _to_desk(message, complaint_id, session, identity, settings)
        reply = _("Thank you, your message has been passed on to the desk.")
    else:
        await flow.comment_rating(
            session,
            complaint_id,
            identity.customer_id,
            message.text or "",
            default_locale=settings.default_locale,
        )
        reply = _("Thank you for your feedback!")
    await message.answer(reply + await _leave(state))


async def file_given(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    """A photo or file for the desk: copied into the complaint's topic with its caption."""
    await _to_desk(message, await _complaint_id(state), session, identity, settings)
    reply = _("Thank you, your file has been passed on to the desk.")
    await message.answer(reply + await _leave(state))


async def _to_desk(
    message: Message, complaint_id: int, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    assert identity.customer_id is not None
    has_file = bool(message.photo or message.document)
    await relay.customer_writes(
        session,
        complaint_id,
        identity.customer_id,
        identity.contact_id,
        text=message.caption if has_file else message.text,
        source_chat=message.chat.id,
        source_message=message.message_id,
        has_file=has_file,
        default_locale=settings.default_locale,
    )


async def rated(
    query: CallbackQuery,
    callback_data: ComplaintRating,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    assert identity.customer_id is not None
    complaint = await flow.rate(
        session,
        callback_data.complaint_id,
        identity.customer_id,
        identity.contact_id,
        callback_data.score,
        default_locale=settings.default_locale,
    )
    await send(
        query,
        _("You gave {ticket} {score} of 5. Would you like to add a comment? Type it, or press Skip.").format(
            ticket=complaint.ticket, score=callback_data.score
        ),
        skip_comment_keyboard(complaint.id),
    )
    # once the question is out: pressing the same score again asks it again meanwhile (flow.rate)
    await _enter(state, ComplaintFollowUp.rating_comment, complaint.id)
    await answer(query, _("Thank you!"))
    await drop_buttons(query)


async def skip_comment(query: CallbackQuery, callback_data: CustomerComplaintStep, state: FSMContext) -> None:
    if await _complaint_id(state) != callback_data.complaint_id:
        await answer(query, _("This button is no longer valid."), alert=True)
        return
    await answer(query)
    await drop_buttons(query)
    await send(query, _("Thank you for your feedback!") + await _leave(state))


async def cancel(message: Message, state: FSMContext) -> None:
    await message.answer(_("Cancelled.") + await _leave(state))


async def answer_in_words(message: Message) -> None:
    await message.answer(_("Please answer in words, or send /cancel to stop."))


async def _enter(state: FSMContext, step: State, complaint_id: int) -> None:
    """Remember which complaint the text is for, and the draft step to return to afterwards."""
    current = await state.get_state()
    resume = (await FOLLOWUP.read(state)).get("resume") if current in ComplaintFollowUp else current
    await FOLLOWUP.update(state, complaint_id=complaint_id, resume=resume)
    await state.set_state(step)


async def _complaint_id(state: FSMContext) -> int:
    return int((await FOLLOWUP.read(state)).get("complaint_id") or 0)


async def _leave(state: FSMContext) -> str:
    """Back to where the user was; a line for the reply when that is an open complaint draft."""
    resume = (await FOLLOWUP.drop(state)).get("resume")
    await state.set_state(resume)
    if resume not in ComplaintForm:
        return ""  # nothing, or another conversation that asks its own next question
    return "\n\n" + _("Your complaint draft is still open: carry on where you left off.")


def build_router() -> Router:
    router = Router(name=__name__)
    follow_up = StateFilter(ComplaintFollowUp)
    router.message.register(list_complaints, Command("complaints"))
    router.message.register(cancel, Command("cancel"), follow_up)
    router.callback_query.register(open_card, CustomerComplaintCard.filter())
    router.callback_query.register(accept, CustomerComplaintStep.filter(F.step == CustomerStep.ACCEPT))
    router.callback_query.register(
        ask_for_text,
        CustomerComplaintStep.filter(
            F.step.in_({CustomerStep.REJECT, CustomerStep.REPLY, CustomerStep.WRITE})
        ),
    )
    router.callback_query.register(
        skip_comment, CustomerComplaintStep.filter(F.step == CustomerStep.SKIP_COMMENT), follow_up
    )
    router.callback_query.register(rated, ComplaintRating.filter())
    # too long or empty: the question stays open for a better try; the complaint moved on: nothing to answer
    router.message.register(
        text_given, follow_up, F.text, ~F.text.startswith("/"), flags=on_refusal(leave=_leave)
    )
    router.message.register(
        file_given,
        StateFilter(ComplaintFollowUp.desk_message),
        F.photo | F.document,
        flags=on_refusal(leave=_leave),
    )
    router.message.register(answer_in_words, follow_up, ~F.text)
    return router
