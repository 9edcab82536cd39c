"""The Bot API HTTP session: aiogram's aiohttp session, with its response models kept alive and Telegram's
error pages read as the server errors they are.

aiogram validates every answer with `Response[method.__returning__]`, a pydantic generic it parametrizes on
each call. pydantic caches parametrized generics only weakly, so once an answer has been read its model is
garbage, and the next call of that method builds it again: schema, validator and all, about 15 ms of CPU,
an eighth of the bot's time per update in bench/chat_throughput. Holding each one here makes it built once.

aiogram's close() waits 250 ms after closing the connections, aiohttp's advice for TLS ones to finish their
shutdown. A Bot API server reached over plain HTTP (a local one, or the sandbox) has no TLS to wait for, so
there the session closes at once: every test bot and every CLI command stopped a quarter-second sooner.

Telegram's front servers answer some failures with 502 and an HTML page. aiogram reads any answer as JSON
and raises `ClientDecodeError` for that one, which nothing took for a server error: a 502 was retried
neither by a handler's call nor by the outbox. Only the session still knows the status code, so here an
answer that is not JSON and comes with a 5xx status becomes the `TelegramServerError` it is. Any other
`ClientDecodeError` stays one: an answer of an unexpected shape is read the same way again
(aiogram/aiogram#1587), so it must not be retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

_RESPONSE_MODELS: dict[Any, type[Response[Any]]] = {}


class PortSession(AiohttpSession):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_close: list[Callable[[], Awaitable[None]]] = []  # what the session's middlewares hold open

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        if status_code >= HTTPStatus.INTERNAL_SERVER_ERROR and not self._is_json(content):
            page = f"{status_code} {_phrase(status_code)}: an error page, not JSON"
            raise TelegramServerError(method, page)
        returning = method.__returning__
        if returning not in _RESPONSE_MODELS:
            _RESPONSE_MODELS[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)

    async def close(self) -> None:
        """aiogram sleeps 250 ms after closing, for TLS to shut down: over plain HTTP (a local Bot API
        server) there is nothing to wait for."""
        if self.api.base.startswith("https://"):
            await super().close()
        elif self._session is not None and not self._session.closed:
            await self._session.close()
        for close in self.on_close:  # closed again if the session was used again
            await close()

    def _is_json(self, content: str) -> bool:  # parsed twice only when a 5xx came
        try:
            self.json_loads(content)
        except ValueError:
            return False
        return True


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Server Error"
