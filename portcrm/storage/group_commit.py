"""Group commit: callers that finish at about the same time share one transaction.

Each caller adds its item and returns once the item is committed. Whoever holds the lock writes every item
waiting at that moment in one transaction; the others, queued on the lock meanwhile, find theirs written.
With no company a caller commits alone and waits for nobody. Used for the inbox's "handled" marks and the
outbox's records of confirmed sends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    def __init__(self, write: Callable[[list[T]], Awaitable[None]]) -> None:
        """`write` commits a batch of items in one transaction."""
        self.write = write
        self.arrived = asyncio.Event()  # set whenever an item is added: what `gather` may wait for
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._lock = asyncio.Lock()

    @property
    def pending(self) -> int:
        return len(self._waiting)

    async def add(self, item: T) -> None:
        """Returns once the item is committed, by this call or by one that took it along."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        self.arrived.set()
        async with self._lock:
            if not done.done():
                await self.gather()
                await self._commit(done)
        await done

    async def gather(self) -> None:
        """Before a commit, wait for more items to join it; by default for the rest of this turn of the
        event loop. A commit on SQLite runs on the loop without a pause (portcrm/storage/sqlite_driver.py),
        so nothing would join it otherwise: those added in the same turn (replies that came back together)
        do, and a lone item waits for nothing but that turn."""
        await asyncio.sleep(0)

    async def _commit(self, mine: asyncio.Future[None]) -> None:
        batch, self._waiting = self._waiting, []
        try:
            await self.write([item for item, _ in batch])
        except asyncio.CancelledError:  # the others' items wait for whoever takes the lock next
            self._waiting[:0] = [(item, done) for item, done in batch if done is not mine]
            raise
        except Exception as error:  # each hears of it, and may try again
            for _, done in batch:
                done.set_exception(error)
        else:
            for _, done in batch:
                done.set_result(None)
