"""A customer command from someone not linked to a customer yet: what the command is for, and how to link.

Without this the command fell through to the fallback's "I don't know that command", which tells a new
customer nothing; the customer menu's own description says what they asked for.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.handlers.linking import IsUnlinked
from bot.ui.keyboards.linking import share_phone_keyboard
from bot.ui.menus import CUSTOMER
from bot.ui.views.linking import not_linked_yet


async def customer_command(message: Message, command: CommandObject) -> None:
    await message.answer(not_linked_yet(command.command), reply_markup=share_phone_keyboard())


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(customer_command, Command(*(name for name, _ in CUSTOMER)), IsUnlinked())
    return router
