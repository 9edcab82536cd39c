"""A chat's conversation lock in Redis: kept by a live holder however long it handles, lapsed within seconds
when its instance dies holding it (bot/pipeline/chat_locks.py)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio.lock import Lock

from bot.pipeline.chat_locks import LEASE, RenewedRedisLocks
from bot.pipeline.fsm import _KEYS, build_isolation
from portcrm.settings import PROJECT_ROOT
from tests.conftest import REDIS_URL, requires_redis

pytestmark = requires_redis
CHAT = 9_990_001
KEY = StorageKey(bot_id=7_000_009, chat_id=CHAT, user_id=CHAT)
HOLDER = f"""
import asyncio
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from bot.pipeline.fsm import _KEYS, build_isolation

async def main() -> None:
    isolation = build_isolation(RedisStorage.from_url({REDIS_URL!r}, key_builder=_KEYS))
    async with isolation.lock(StorageKey(bot_id={KEY.bot_id}, chat_id={CHAT}, user_id={CHAT})):
        print("held", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


@pytest.fixture
async def storage() -> AsyncIterator[RedisStorage]:
    assert REDIS_URL is not None
    storage = RedisStorage.from_url(REDIS_URL, key_builder=_KEYS)
    await storage.redis.delete(_KEYS.build(KEY, "lock"))
    yield storage
    await storage.redis.delete(_KEYS.build(KEY, "lock"))
    await storage.close()


@pytest.mark.slow
async def test_a_chat_lock_left_by_an_instance_killed_holding_it_lapses_within_the_lease(
    storage: RedisStorage,
) -> None:
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, cwd=PROJECT_ROOT, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 60) == b"held\n"
    finally:
        holder.kill()  # SIGKILL: nothing released
        await holder.wait()

    async with asyncio.timeout(LEASE + 5), build_isolation(storage).lock(KEY):
        pass  # taken once the dead holder's lease ran out, not a minute later


async def test_a_live_holder_keeps_its_chat_lock_past_the_lease(
    storage: RedisStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    renewed = asyncio.Event()
    renewals = 0
    reacquire = Lock.reacquire

    async def counted(self: Lock) -> bool:
        nonlocal renewals
        result = await reacquire(self)
        renewals += 1
        if renewals == 3:
            renewed.set()
        return result

    monkeypatch.setattr(Lock, "reacquire", counted)
    lease = 0.3
    isolation = RenewedRedisLocks(storage.redis, storage.key_builder, lease=lease)
    name = _KEYS.build(KEY, "lock")
    async with isolation.lock(KEY):
        await asyncio.wait_for(renewed.wait(), 30)  # a full lease has passed, three times renewed
        assert await storage.redis.exists(name), "still held"
        assert 0 < await storage.redis.pttl(name) <= lease * 1000
    assert not await storage.redis.exists(name), "released"
