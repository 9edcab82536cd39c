"""Conversation state storage: Redis when configured, else the project's own database.

aiogram ships no SQL storage, and its memory storage forgets a half-filled form on restart; the database
one keeps it (and works for several instances on one PostgreSQL). Data must be JSON-serialisable.

Every update reads its conversation's state, so the database storage remembers what it read and wrote:
within one update always (`RememberConversations`), and across updates when this process is the
conversations' only writer, as with long polling (Telegram allows one poller per bot). What an update's
handlers write (a form step sets its state, its data and its question: three writes) is committed in one
transaction when they are done (`WriteConversationsOnce`), before the update is marked handled, so a
restart loses nothing: an update cut off before that is replayed from the conversation as it was.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import TelegramObject
from sqlalchemy import delete, select

from portcrm.models import ConversationState
from portcrm.models.base import utcnow
from portcrm.settings import Settings
from portcrm.storage.db import Database, upsert_into

_KEYS = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)


Conversation = tuple[str | None, dict[str, Any]]  # (state, data)
RECENT_CONVERSATIONS = 10_000  # remembered across updates by a sole writer: a few MB at most
_this_update: ContextVar[dict[str, Conversation] | None] = ContextVar("portcrm_conversations", default=None)
_written: ContextVar[dict[str, Conversation] | None] = ContextVar("portcrm_conversation_writes", default=None)


class RememberConversations(BaseMiddleware):
    """An outer update middleware, before aiogram's FSM one: while an update is handled, `DatabaseStorage`
    keeps what it read or wrote in memory, so the FSM's state read, a handler's `get_data` and
    `update_data` cost one query between them. Writes still commit at once. Holding the chat's lock, the
    update is the only writer of its own conversation in this process."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        token = _this_update.set({})
        try:
            return await handler(event, data)
        finally:
            _this_update.reset(token)


class WriteConversationsOnce(BaseMiddleware):
    """An outer update middleware right after aiogram's FSM one, so inside the chat's lock: `DatabaseStorage`
    keeps what the update's handlers write in memory, where their reads find it, and this commits it in one
    transaction once they are done, whether they returned or raised (as each write used to commit at once)."""

    def __init__(self, storage: DatabaseStorage) -> None:
        self.storage = storage

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        written: dict[str, Conversation] = {}
        token = _written.set(written)
        try:
            return await handler(event, data)
        finally:
            _written.reset(token)
            if written:
                await self.storage.commit(written)


class RecentConversations:
    """The conversations this process read or wrote last, at most `size` of them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, Conversation] = OrderedDict()

    def get(self, name: str) -> Conversation | None:
        conversation = self._items.get(name)
        if conversation is not None:
            self._items.move_to_end(name)
        return conversation

    def __setitem__(self, name: str, conversation: Conversation) -> None:
        self._items[name] = conversation
        self._items.move_to_end(name)
        if len(self._items) > self.size:
            self._items.popitem(last=False)


class DatabaseStorage(BaseStorage):
    """`sole_writer`: no other process writes these conversations, so what this one wrote stays true."""

    def __init__(self, db: Database, *, sole_writer: bool = False) -> None:
        self.db = db
        self._recent = RecentConversations(RECENT_CONVERSATIONS) if sole_writer else None

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        _, data = await self._read(key, copied=False)  # _write keeps a copy
        await self._write(key, value, data)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._read(key, copied=False)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self._read(key, copied=False)
        await self._write(key, state, dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self._read(key)
        return data

    async def close(self) -> None:
        """The database belongs to the application, which disposes of it."""

    async def _read(self, key: StorageKey, *, copied: bool = True) -> Conversation:
        """Data the caller may change (`copied`): the handler's edits count once it sets them."""
        name = _KEYS.build(key)
        written, memory = _written.get(), self._memory()
        conversation = written.get(name) if written else None
        if conversation is None and memory is not None:
            conversation = memory.get(name)
        if conversation is None:
            async with self.db.session() as session:
                row = (await session.execute(_SELECT.where(ConversationState.key == name))).first()
                await session.commit()
            conversation = (row.state, row.data) if row else (None, {})
            if memory is None:
                return conversation
            memory[name] = conversation
        state, data = conversation
        return state, copy.deepcopy(data) if copied else data

    async def _write(self, key: StorageKey, state: str | None, data: dict[str, Any]) -> None:
        name = _KEYS.build(key)
        conversation = (state, copy.deepcopy(data))
        written = _written.get()
        if written is not None:  # committed when the update's handlers are done
            written[name] = conversation
        else:
            await self.commit({name: conversation})
        memory = self._memory()
        if memory is not None:
            memory[name] = conversation

    async def commit(self, conversations: Mapping[str, Conversation]) -> None:
        """Write these conversations (by storage key) in one transaction."""
        async with self.db.session() as session:
            for name, (state, data) in conversations.items():
                if state is None and not data:  # a finished conversation leaves nothing behind
                    await session.execute(delete(ConversationState).where(ConversationState.key == name))
                else:
                    values = {"state": state, "data": data, "updated_at": utcnow()}
                    upsert = upsert_into(session, ConversationState).values(key=name, **values)
                    await session.execute(upsert.on_conflict_do_update(index_elements=["key"], set_=values))
            await session.commit()

    def _memory(self) -> RecentConversations | dict[str, Conversation] | None:
        return self._recent if self._recent is not None else _this_update.get()


_SELECT = select(ConversationState.state, ConversationState.data)


def build_isolation(storage: BaseStorage) -> BaseEventIsolation:
    """One update at a time per user: an album's photos arrive together, and a form's read and write of its
    draft are separate transactions. With Redis the lock holds across instances too, renewed while held
    (chat_locks.py)."""
    redis = getattr(storage, "redis", None)  # RedisStorage
    if redis is not None:
        from bot.pipeline.chat_locks import RenewedRedisLocks

        return RenewedRedisLocks(redis, storage.key_builder)  # type: ignore[attr-defined]
    return SimpleEventIsolation()


def build_storage(settings: Settings, db: Database, *, sole_instance: bool = False) -> BaseStorage:
    """`sole_instance`: this process alone handles the bot's updates (long polling)."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage  # needs the `redis` extra

        return RedisStorage.from_url(settings.redis_url, key_builder=_KEYS)
    return DatabaseStorage(db, sole_writer=sole_instance)
