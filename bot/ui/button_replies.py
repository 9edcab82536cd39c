"""What a pressed button does to its message, the same way on every screen."""

from __future__ import annotations

from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


async def settle(query: CallbackQuery, text: str) -> None:
    """The answered prompt keeps what was chosen and loses its buttons."""
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=None)


async def drop_buttons(query: CallbackQuery) -> None:
    """A message whose buttons have been used up stays, without them."""
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        await query.message.edit_reply_markup(reply_markup=None)


async def send(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """A new message to whoever pressed, leaving the pressed one as it was."""
    assert query.bot is not None
    await query.bot.send_message(query.from_user.id, text, reply_markup=markup)


def same_markup(current: InlineKeyboardMarkup | None, new: InlineKeyboardMarkup) -> bool:
    """Telegram refuses an edit that changes nothing (400), e.g. an old button pressed twice."""
    if current is None:
        return False
    rows = [[(b.text, b.callback_data) for b in row] for row in current.inline_keyboard]
    return rows == [[(b.text, b.callback_data) for b in row] for row in new.inline_keyboard]
