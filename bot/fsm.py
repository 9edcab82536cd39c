"""Conversation state storage: Redis when configured, else the project's own database.

aiogram ships no SQL storage, and its memory storage forgets a half-filled form on restart; the database
one keeps it (and works for several instances on one PostgreSQL). Data must be JSON-serialisable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation

from portcrm.db import Database
from portcrm.models import ConversationState
from portcrm.settings import Settings

_KEYS = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)


class DatabaseStorage(BaseStorage):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._write(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._read(key)
        return row.state if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._read(key)
        return dict(row.data) if row else {}

    async def close(self) -> None:
        """The database belongs to the application, which disposes of it."""

    async def _read(self, key: StorageKey) -> ConversationState | None:
        async with self.db.session() as session:
            row = await session.get(ConversationState, _KEYS.build(key))
            await session.commit()
            return row

    async def _write(self, key: StorageKey, **values: Any) -> None:
        async with self.db.session() as session:
            name = _KEYS.build(key)
            row = await session.get(ConversationState, name, with_for_update=True)
            if row is None:
                row = ConversationState(key=name, state=None, data={})
            for field, value in values.items():
                setattr(row, field, value)
            finished = row.state is None and not row.data
            if finished and row in session:
                await session.delete(row)  # a finished conversation leaves nothing behind
            elif not finished:
                session.add(row)
            await session.commit()


def build_isolation(storage: BaseStorage) -> BaseEventIsolation:
    """One update at a time per user: an album's photos arrive together, and a form's read and write of its
    draft are separate transactions. With Redis the lock holds across instances too."""
    if hasattr(storage, "create_isolation"):
        return storage.create_isolation()  # RedisStorage
    return SimpleEventIsolation()


def build_storage(settings: Settings, db: Database) -> BaseStorage:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage  # needs the `redis` extra

        return RedisStorage.from_url(settings.redis_url, key_builder=_KEYS)
    return DatabaseStorage(db)
