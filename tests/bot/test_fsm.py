"""Conversation state outlives the process: database storage by default, Redis when configured."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage

from bot.fsm import DatabaseStorage, build_storage
from portcrm.db import Database
from portcrm.settings import Settings
from tests.conftest import REDIS_URL, requires_redis

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


async def test_state_and_data_survive_a_new_storage_on_the_same_database(database_url: str) -> None:
    first = Database(database_url)
    storage = DatabaseStorage(first)
    await storage.set_state(KEY, "Complaint:describe")
    await storage.update_data(KEY, {"category": "delay", "text": "柜子晚到 <b>3</b> 天 🚢"})
    await first.dispose()  # the process goes away

    second = Database(database_url)
    restarted = DatabaseStorage(second)
    assert await restarted.get_state(KEY) == "Complaint:describe"
    assert await restarted.get_data(KEY) == {"category": "delay", "text": "柜子晚到 <b>3</b> 天 🚢"}
    other = StorageKey(bot_id=1, chat_id=43, user_id=43)
    assert await restarted.get_state(other) is None
    await restarted.set_state(KEY, None)
    await restarted.set_data(KEY, {})
    assert await restarted.get_data(KEY) == {}
    await second.dispose()


async def test_clearing_a_conversation_that_never_stored_anything_works(database_url: str) -> None:
    """Regression: clearing an unsaved, empty conversation tried to delete a row never written."""
    db = Database(database_url)
    storage = DatabaseStorage(db)
    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})
    await storage.set_state(KEY, "Ask:question")
    await storage.set_state(KEY, None)
    assert await storage.get_state(KEY) is None
    await db.dispose()


@requires_redis
async def test_redis_is_used_when_configured(database_url: str) -> None:
    db = Database(database_url)
    settings = Settings(_env_file=None, redis_url=REDIS_URL)
    storage = build_storage(settings, db)
    assert isinstance(storage, RedisStorage)
    key = StorageKey(bot_id=99, chat_id=7, user_id=7)
    await storage.set_state(key, "Visit:notes")
    assert await storage.get_state(key) == "Visit:notes"
    await storage.set_state(key, None)
    await storage.close()
    await db.dispose()
