"""What a pressed button does to its message, the same way on every screen.

A button's answer (the spinner stopping, a toast) and the tidying of the pressed message are courtesies:
when Telegram refuses them for good (the query too old after a restart, Telegram down past the retries)
the handler goes on to the messages that carry its reply, so they only log.
"""

from __future__ import annotations

import logging

from aiogram.exceptions import ClientDecodeError, TelegramAPIError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

log = logging.getLogger(__name__)

# a Bot API call that failed for good: Telegram's refusal, or a body that is not its JSON (a 502's HTML page)
SEND_FAILURES = (TelegramAPIError, ClientDecodeError)


async def answer(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Answers the press, with `text` as a toast (or an alert); a failure stops nothing."""
    try:
        await query.answer(text, show_alert=alert)
    except SEND_FAILURES as error:
        log.warning("the answer to button press %s was lost: %s", query.id, error)


async def settle(query: CallbackQuery, text: str) -> None:
    """The answered prompt keeps what was chosen and loses its buttons.

    A form settles a prompt after the next question is out (bot/forms/steps.py): until then its buttons
    stay, to be pressed again if that question never arrives.
    """
    await answer(query)
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, reply_markup=None)
        except SEND_FAILURES as error:
            log.warning("a settled prompt kept its buttons: %s", error)


async def drop_buttons(query: CallbackQuery) -> None:
    """A message whose buttons have been used up stays, without them."""
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        try:
            await query.message.edit_reply_markup(reply_markup=None)
        except SEND_FAILURES as error:
            log.warning("a used message kept its buttons: %s", error)


async def send(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    """A new message to whoever pressed, leaving the pressed one as it was."""
    assert query.bot is not None
    return await query.bot.send_message(query.from_user.id, text, reply_markup=markup)


async def reply(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    """A new message in the chat of the pressed button (where its conversation is), even when that message
    is too old to answer."""
    assert query.bot is not None
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    return await query.bot.send_message(chat_id, text, reply_markup=markup)


async def show(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """The pressed message becomes `text`; a new message when it is too old to edit."""
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)
    else:
        await send(query, text, markup)


def same_markup(current: InlineKeyboardMarkup | None, new: InlineKeyboardMarkup) -> bool:
    """Telegram refuses an edit that changes nothing (400), e.g. an old button pressed twice."""
    if current is None:
        return False
    rows = [[(b.text, b.callback_data) for b in row] for row in current.inline_keyboard]
    return rows == [[(b.text, b.callback_data) for b in row] for row in new.inline_keyboard]
