"""An edit of a message that cannot be edited becomes a new message.

A button's payload is user input, and so is the message it comes from: a modified client can send any
callback data from any bot message, a photo, a file or a message with a reply keyboard included. A handler
that answers a press by editing the message's text then meets Telegram's "there is no text in the message to
edit" or "message can't be edited". The answer is still due, so it is sent as a new message in the same
chat, with the same text and buttons.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod

UNEDITABLE = ("there is no text in the message to edit", "message can't be edited")


class TextlessEditsResend(BaseRequestMiddleware):
    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as error:
            uneditable = any(reason in error.message for reason in UNEDITABLE)
            if not (isinstance(method, EditMessageText) and method.chat_id and uneditable):
                raise
            resend = SendMessage(
                chat_id=method.chat_id,
                text=method.text,
                parse_mode=method.parse_mode,
                entities=method.entities,
                link_preview_options=method.link_preview_options,
                reply_markup=method.reply_markup,
            )
            return await make_request(bot, resend)
