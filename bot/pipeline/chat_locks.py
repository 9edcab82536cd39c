"""A chat's conversation lock in Redis, shared by webhook instances, that a dead instance leaves for seconds.

aiogram's `RedisEventIsolation` takes a chat's lock for 60 s and never renews it: an instance killed while
handling an update left its chats locked for up to a minute, and every later update of those chats waited
(the fault campaign saw presses answered 40 s late, long past Telegram's 15 s). Here the lock lasts `lease`
seconds and is renewed every third of that while its update is handled, so a live holder keeps it however
long its handler runs, and a dead one's lapses within the lease. The key is aiogram's, so instances of
either kind exclude one another.

While Redis is unreachable the renewals fail (logged); the lock lapses after its lease, as it would for a
dead holder, and its handler, which needs Redis for the conversation state anyway, fails and is tried again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiogram.fsm.storage.base import BaseEventIsolation, KeyBuilder, StorageKey

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.lock import Lock

log = logging.getLogger(__name__)

LEASE = 10.0  # seconds a chat's lock outlives an instance that died holding it


class RenewedRedisLocks(BaseEventIsolation):
    def __init__(self, redis: Redis, key_builder: KeyBuilder, *, lease: float = LEASE) -> None:
        self.redis, self.key_builder, self.lease = redis, key_builder, lease

    @contextlib.asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        lock = self.redis.lock(self.key_builder.build(key, "lock"), timeout=self.lease, thread_local=False)
        await lock.acquire()
        stop = asyncio.Event()
        keeper = asyncio.create_task(self._renew(lock, stop), name=f"chat-lock-{key.chat_id}")
        try:
            yield
        finally:
            stop.set()  # the keeper ends after the command it may be running: never cut off mid-command
            await keeper
            await self._release(lock)

    async def _renew(self, lock: Lock, stop: asyncio.Event) -> None:
        from redis.exceptions import LockError, RedisError

        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.lease / 3):
                    await stop.wait()
            if stop.is_set():
                return
            try:
                await lock.reacquire()
            except LockError as error:  # lapsed, perhaps taken by another instance: nothing to renew
                log.warning("chat lock %s lost: %s", lock.name, error)
                return
            except RedisError as error:  # the next renewal may pass; the lock lasts until its lease ends
                log.warning("could not renew chat lock %s: %r", lock.name, error)

    @staticmethod
    async def _release(lock: Lock) -> None:
        from redis.exceptions import LockError, RedisError

        try:
            await lock.release()
        except LockError as error:  # it lapsed while Redis was away, or a renewal came too late
            log.warning("chat lock %s had lapsed before its release: %s", lock.name, error)
        except RedisError as error:  # it lapses by itself within the lease
            log.warning("could not release chat lock %s: %r", lock.name, error)

    async def close(self) -> None:
        return None
