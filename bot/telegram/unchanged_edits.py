"""An edit that changes nothing is an outcome, not an error.

Telegram refuses an edit whose text and buttons equal the message's current ones ("message is not
modified"). That happens whenever one button is pressed twice before the first press has been handled: both
presses see the old message, the first edit lands, and the second would write the same thing again. The
message already says what it should, so the edit counts as done.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    TelegramMethod,
)

EDITS = (EditMessageText, EditMessageReplyMarkup, EditMessageCaption)
NOT_MODIFIED = "message is not modified"


class UnchangedEditsSucceed(BaseRequestMiddleware):
    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as error:
            if isinstance(method, EDITS) and NOT_MODIFIED in error.message:
                return True  # what Telegram returns for an edit of an inline message: done
            raise
