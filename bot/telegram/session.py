"""The Bot API HTTP session: aiogram's aiohttp session, with its response models kept alive.

aiogram validates every answer with `Response[method.__returning__]`, a pydantic generic it parametrizes on
each call. pydantic caches parametrized generics only weakly, so once an answer has been read its model is
garbage, and the next call of that method builds it again: schema, validator and all, about 15 ms of CPU,
an eighth of the bot's time per update in bench/chat_throughput. Holding each one here makes it built once.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

_RESPONSE_MODELS: dict[Any, type[Response[Any]]] = {}


class PortSession(AiohttpSession):
    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _RESPONSE_MODELS:
            _RESPONSE_MODELS[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)
