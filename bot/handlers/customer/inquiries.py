"""/ask: a customer's free-text question to their account manager, inline or as the next message."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms.steps import advance
from bot.handlers.errors import on_refusal
from portcrm.services.care.inquiries import submit_inquiry
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings


class AskForm(StatesGroup):
    question = State()


async def ask(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    if command.args and command.args.strip():
        await _submit(message, command.args, state, session, identity, settings)
        return
    question = message.answer(
        _("Please write your question for your account manager in one message. Send /cancel to stop.")
    )
    await advance(state, AskForm.question, question)


async def question_written(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    await _submit(message, message.text or "", state, session, identity, settings)


async def not_text(message: Message) -> None:
    await message.answer(_("Please write your question as text, or send /cancel to stop."))


async def cancel(message: Message, state: FSMContext) -> None:
    await _leave(state)
    await message.answer(_("Cancelled. Nothing was sent."))


async def _submit(
    message: Message,
    text: str,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    assert identity.customer_id is not None  # the parent router's filter
    sent = await submit_inquiry(
        session, identity.customer_id, identity.contact_id, text, default_locale=settings.default_locale
    )
    await _leave(state)
    if sent.account_manager is not None:
        reply = _(
            "Thank you. Your question has been passed to your account manager {name}; "
            "the answer will come here."
        ).format(name=html.escape(sent.account_manager))
    else:
        reply = _(
            "Thank you. Your question has been passed to our market department; the answer will come here."
        )
    await message.answer(reply)


async def _leave(state: FSMContext) -> None:
    """End the form if the user is in it; it holds no data, so dropping the state is all there is."""
    if await state.get_state() == AskForm.question.state:
        await state.set_state(None)


def build_router() -> Router:
    router = Router(name=__name__)
    asking = StateFilter(AskForm.question)
    # a question too long: the shorter version may come as the next message
    submitting = on_refusal(retry_in=AskForm.question, leave=_leave)
    router.message.register(cancel, Command("cancel"), asking)
    router.message.register(ask, Command("ask"), flags=submitting)
    router.message.register(question_written, asking, F.text, ~F.text.startswith("/"), flags=submitting)
    router.message.register(not_text, asking, ~F.text)
    return router
