"""Conversation state outlives the process: database storage by default, Redis when configured."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import Update
from sqlalchemy import event, func, select

from bot.pipeline.fsm import (
    DatabaseStorage,
    RecentConversations,
    RememberConversations,
    WriteConversationsOnce,
    build_storage,
)
from portcrm.models import ConversationState
from portcrm.settings import Settings
from portcrm.storage.db import Database
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


def _count_reads(db: Database) -> list[str]:
    reads: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM conversation_states" in statement:
            reads.append(statement)

    return reads


async def test_a_sole_writer_reads_each_conversation_once_and_keeps_what_it_writes(database_url: str) -> None:
    db = Database(database_url)
    storage = DatabaseStorage(db, sole_writer=True)
    reads = _count_reads(db)
    assert await storage.get_state(KEY) is None
    await storage.update_data(KEY, {"draft": ["a"]})
    await storage.set_state(KEY, "Complaint:describe")
    data = await storage.get_data(KEY)
    data["draft"].append("changed by a handler, not set")
    assert await storage.get_data(KEY) == {"draft": ["a"]}, "a caller's copy, not the remembered one"
    assert len(reads) == 1
    restarted = DatabaseStorage(db)  # and the database holds all of it
    assert (await restarted.get_state(KEY), await restarted.get_data(KEY)) == (
        "Complaint:describe",
        {"draft": ["a"]},
    )
    await db.dispose()


async def test_a_storage_that_may_have_company_reads_again_on_each_update(database_url: str) -> None:
    """Webhook instances share the database: what another one wrote must be seen by the next update."""
    db = Database(database_url)
    ours, theirs = DatabaseStorage(db), DatabaseStorage(db)
    remember = RememberConversations()

    async def update(handle: Callable[[], Awaitable[Any]]) -> Any:
        return await remember(lambda _event, _data: handle(), Update(update_id=1), {})

    reads = _count_reads(db)
    assert await update(lambda: ours.get_state(KEY)) is None
    await theirs.set_state(KEY, "Inquiry:question")  # the next update went to the other instance
    assert await update(lambda: ours.get_state(KEY)) == "Inquiry:question"

    async def twice() -> str | None:
        await ours.get_data(KEY)
        return await ours.get_state(KEY)

    reads.clear()
    assert await update(twice) == "Inquiry:question"
    assert len(reads) == 1, "within one update the storage reads once"
    await db.dispose()


async def test_an_update_s_writes_commit_together_once_its_handlers_are_done(database_url: str) -> None:
    """A form step sets its state, its data and its question: one transaction, seen by its own reads, and
    committed whether the handler returned or raised (each write used to commit at once)."""
    db = Database(database_url)
    storage, elsewhere = DatabaseStorage(db), DatabaseStorage(db)
    once = WriteConversationsOnce(storage)
    commits: list[object] = []
    event.listen(db.engine.sync_engine, "commit", commits.append)

    async def step() -> dict[str, Any]:
        await storage.set_state(KEY, "Complaint:describe")
        await storage.update_data(KEY, {"category": "delay"})
        await storage.update_data(KEY, {"questions": {"Complaint:describe": {"text": "?"}}})
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(ConversationState)) == 0
            await session.commit()
        commits.clear()
        return await storage.get_data(KEY)

    data = await once(lambda _event, _data: step(), Update(update_id=1), {})
    assert data == {"category": "delay", "questions": {"Complaint:describe": {"text": "?"}}}
    assert len(commits) == 1
    assert await elsewhere.get_state(KEY) == "Complaint:describe"

    async def failing() -> None:
        await storage.set_state(KEY, None)
        await storage.set_data(KEY, {})
        raise RuntimeError("the reply could not be sent")

    with pytest.raises(RuntimeError):
        await once(lambda _event, _data: failing(), Update(update_id=2), {})
    assert (await elsewhere.get_state(KEY), await elsewhere.get_data(KEY)) == (None, {})
    await db.dispose()


def test_a_sole_writer_remembers_a_bounded_number_of_conversations() -> None:
    recent = RecentConversations(size=2)
    for name in ("a", "b", "c"):
        recent[name] = (name, {})
    assert (recent.get("a"), recent.get("c")) == (None, ("c", {}))
    recent.get("b")  # used lately: it stays when the next one comes
    recent["d"] = ("d", {})
    assert [recent.get(name) for name in ("b", "c", "d")] == [("b", {}), None, ("d", {})]
