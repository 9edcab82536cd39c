"""Last in line: what no audience router took gets a helpful reply, never silence."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.forms.paused import discard_all
from bot.handlers.paused_forms import answer_paused_question
from bot.ui.views.forms import discarded


async def cancel_without_a_form(message: Message, state: FSMContext) -> None:
    """Forms answer /cancel themselves; a /cancel that reaches here still ends whatever was in progress,
    the forms put aside included (saying "nothing to cancel" while /complaint offers one was a dead end)."""
    if await state.get_state() is None:
        dropped = await discard_all(state)
        await message.answer(
            "\n".join(discarded(group) for group in dropped) or _("There is nothing to cancel.")
        )
        return
    await state.clear()
    await message.answer(_("Cancelled. Nothing was saved."))


async def unknown_command(message: Message) -> None:
    await message.answer(
        _("I don't know that command, or it is not available to you. Send /help to see what I can do.")
    )


async def anything_else(message: Message) -> None:
    await message.answer(_("Sorry, I didn't understand that. Send /help to see what I can do."))


async def stale_button(query: CallbackQuery, state: FSMContext, **data: Any) -> None:
    if await answer_paused_question(query, state, data):
        return
    # forged payloads and buttons of old messages land here: say so, and change nothing
    await query.answer(_("This button is no longer valid."), show_alert=True)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cancel_without_a_form, Command("cancel"))
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(anything_else)
    router.callback_query.register(stale_button)
    return router
