"""The texts a handler sent or edited, noted for whoever asks while it runs (bot/forms/questions.py).

A form's question is whatever the handler that moved the form to a step said last: noting it here, where
every request passes, spares each form from saying which of its messages was the question, and sees the
request as sent (its HTML and its keyboard, a reply keyboard included, which Telegram does not echo back).
Outside `noting()` this middleware costs one context lookup per request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.enums import ParseMode
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod


@dataclass(frozen=True, slots=True)
class SentText:
    chat_id: int
    text: str  # HTML, the bot's parse mode
    reply_markup: Any  # as sent, any kind, or None
    edited: bool  # an edit of an earlier message rather than a new one

    @property
    def markup(self) -> dict[str, Any] | None:
        """The reply markup as JSON: made only for the question a form keeps, not for every text sent."""
        markup = self.reply_markup
        return markup.model_dump(mode="json", exclude_none=True) if markup is not None else None


_noted: ContextVar[list[SentText] | None] = ContextVar("portcrm_sent_texts", default=None)


@contextlib.contextmanager
def noting() -> Iterator[list[SentText]]:
    """Within the block, every text message sent or edited in this task is appended to the list; an
    enclosing block (a handler that runs another, as Start over does) sees them too."""
    sent: list[SentText] = []
    token = _noted.set(sent)
    try:
        yield sent
    finally:
        _noted.reset(token)
        enclosing = _noted.get()
        if enclosing is not None:
            enclosing.extend(sent)


class NoteSentTexts(BaseRequestMiddleware):
    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        result = await make_request(bot, method)
        sent = _noted.get()
        if sent is not None and isinstance(method, SendMessage | EditMessageText):
            noted = _noted_text(method)
            if noted is not None:
                sent.append(noted)
        return result


def _noted_text(method: SendMessage | EditMessageText) -> SentText | None:
    html = isinstance(method.parse_mode, Default) or method.parse_mode == ParseMode.HTML
    if not isinstance(method.chat_id, int) or not html:
        return None  # an inline message, or a text in another parse mode: never a form's question
    return SentText(method.chat_id, method.text, method.reply_markup, isinstance(method, EditMessageText))
