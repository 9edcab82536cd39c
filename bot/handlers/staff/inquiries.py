"""Staff answering customers' /ask questions: the Reply button on the alert, then the answer as a message."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.errors import on_refusal
from bot.ui.button_replies import answer, reply
from bot.ui.callbacks.inquiries import InquiryReply
from portcrm.services.care.inquiries import answer_inquiry, inquiry_to_answer
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings


class AnswerForm(StatesGroup):
    text = State()


async def reply_pressed(
    query: CallbackQuery,
    callback_data: InquiryReply,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    assert identity.staff_id is not None  # the parent router's filter
    card = await inquiry_to_answer(session, callback_data.inquiry_id, identity.staff_id)
    prompt = _("Please write your answer to {contact} of {company} in one message. Send /cancel to stop.")
    await reply(
        query, prompt.format(contact=html.escape(card.contact or "—"), company=html.escape(card.company))
    )
    await state.set_data({"inquiry_id": card.inquiry.id})  # once asked (bot/forms/steps.py)
    await state.set_state(AnswerForm.text)
    await answer(query)


async def answer_written(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    assert identity.staff_id is not None
    inquiry_id = (await state.get_data()).get("inquiry_id")
    card = await answer_inquiry(
        session,
        int(inquiry_id or 0),
        identity.staff_id,
        message.text or "",
        default_locale=settings.default_locale,
    )
    await state.clear()
    done = (
        _("Your answer has been sent to {contact} of {company}.")
        if card.delivered
        else _("Your answer is saved, but {contact} of {company} cannot be reached in the chat.")
    )
    await message.answer(
        done.format(contact=html.escape(card.contact or "—"), company=html.escape(card.company))
    )


async def not_text(message: Message) -> None:
    await message.answer(_("Please write your answer as text, or send /cancel to stop."))


async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled. Nothing was sent."))


def build_router() -> Router:
    """Below the staff router, whose filter lets only active staff in; the service decides who may answer."""
    router = Router(name=__name__)
    answering = StateFilter(AnswerForm.text)
    router.callback_query.register(reply_pressed, InquiryReply.filter())
    router.message.register(cancel, Command("cancel"), answering)
    # too long: the shorter answer may come next; answered meanwhile or not theirs: the form is over
    router.message.register(
        answer_written, answering, F.text, ~F.text.startswith("/"), flags=on_refusal(leave=FSMContext.clear)
    )
    router.message.register(not_text, answering, ~F.text)
    return router
