"""Counts updates being handled, so shutdown can let them finish before the bot's HTTP session closes.

Polling hands each update to its own task; stopping polling does not wait for them. A handler still
running when the session closes would have its reply lost (and aiohttp would open a new, never closed
session for it), so the dispatcher's shutdown waits here first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject


class InFlight(BaseMiddleware):
    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self._count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self._count -= 1
            if self._count == 0:
                self._idle.set()

    async def drained(self) -> None:
        """Return once no update is being handled (callers bound the wait with asyncio.timeout)."""
        await self._idle.wait()
