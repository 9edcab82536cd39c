"""An update a webhook instance leaves for Telegram to deliver again: answered 500, not raised as a failure.

`HandleOnce` (inbox.py) raises `Redeliver` when an update is not to be handled this time, for a reason that
may pass: another instance holds its claim, or the database is unreachable for a moment. For several
instances that is a normal case, and its reason was logged in one line where it was decided. Raised
through aiogram, it would be logged again as a failure with its traceback, by aiogram and by aiohttp, and
aiohttp would answer the 500. So `LeaveForTelegram`, the outermost update middleware of a webhook
instance, notes it for the request being answered (`noting_redeliveries`, bot/runtime/webhook.py), which
answers 500 itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject

_noted: ContextVar[list[int] | None] = ContextVar("portcrm_left_for_telegram", default=None)


class Redeliver(Exception):
    """Not handled this time, for a reason that may pass: the webhook answers 500, Telegram sends it again."""

    def __init__(self, update_id: int) -> None:
        super().__init__(f"update {update_id} is left for Telegram to deliver again")
        self.update_id = update_id


@contextlib.contextmanager
def noting_redeliveries() -> Iterator[list[int]]:
    """Around a webhook request's handling: the updates it left for Telegram to deliver again."""
    noted: list[int] = []
    token = _noted.set(noted)
    try:
        yield noted
    finally:
        _noted.reset(token)


class LeaveForTelegram(BaseMiddleware):
    """The outermost update middleware of a webhook instance: `Redeliver` noted, not raised."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except Redeliver as left:
            noted = _noted.get()
            if noted is None:  # not inside a webhook request: nobody to answer 500
                raise
            noted.append(left.update_id)
            return UNHANDLED
