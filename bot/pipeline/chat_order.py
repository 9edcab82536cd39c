"""A chat's updates reach their handlers in the order Telegram sent them.

Each update runs in a task of its own, and the middlewares before the conversation lock (the once-only
check, throttling) wait on the database; a second update of the same chat could overtake the first there
and take the lock before it. Two presses of one button were then handled in either order, and so could a
form's two quick answers be. So each update takes a turn in its chat as soon as its task starts, before
anything waits, and may ask for the conversation lock only once every earlier update of that chat holds
it or is gone. The turn is given up as soon as the lock is held, so throttling still sees a flood waiting.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.middlewares.user_context import EVENT_CONTEXT_KEY, EventContext
from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from aiogram.types import TelegramObject

Chat = tuple[int | None, int | None]  # chat id, user id


@dataclass(eq=False)
class Turn:
    chat: Chat
    ready: asyncio.Event = field(default_factory=asyncio.Event)


class ChatTurns:
    """Per chat, the updates not yet holding the conversation lock, in arrival order."""

    def __init__(self) -> None:
        self._queues: dict[Chat, deque[Turn]] = {}

    def take(self, chat: Chat) -> Turn:
        turn = Turn(chat)
        queue = self._queues.setdefault(chat, deque())
        queue.append(turn)
        if len(queue) == 1:
            turn.ready.set()
        return turn

    def done(self, turn: Turn) -> None:
        """This update holds the lock, or will never ask for it: the next one may go."""
        queue = self._queues.get(turn.chat)
        if queue is None or turn not in queue:
            return
        was_first = queue[0] is turn
        queue.remove(turn)
        if not queue:
            del self._queues[turn.chat]
        elif was_first:
            queue[0].ready.set()


_current: ContextVar[Turn | None] = ContextVar("portcrm_chat_turn", default=None)


class TakeTurn(BaseMiddleware):
    """The first middleware after aiogram's own: takes the update's turn before anything can wait."""

    def __init__(self, turns: ChatTurns) -> None:
        self.turns = turns

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        context: EventContext | None = data.get(EVENT_CONTEXT_KEY)
        if context is None or (context.chat_id is None and context.user_id is None):
            return await handler(event, data)
        turn = self.turns.take((context.chat_id, context.user_id))
        token = _current.set(turn)
        try:
            return await handler(event, data)
        finally:
            self.turns.done(turn)
            _current.reset(token)


class InTurns(BaseEventIsolation):
    """The conversation lock, asked for in turn."""

    def __init__(self, inner: BaseEventIsolation, turns: ChatTurns) -> None:
        self.inner, self.turns = inner, turns

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        turn = _current.get()
        if turn is not None:
            await turn.ready.wait()
        async with self.inner.lock(key):
            if turn is not None:
                self.turns.done(turn)
            yield

    async def close(self) -> None:
        await self.inner.close()
