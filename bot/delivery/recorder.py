"""Records confirmed sends, as few transactions as the window allows (group commit).

A message stays open, holding one of the window's places, until its record is committed. With one
send in flight each record is committed at once, as the crash guarantee needs. With more, a commit
waits for the sends still in flight to join it, until half the window is waiting or GATHER seconds
passed: one transaction then carries many messages, which is what lets the sender keep up with
Telegram answering hundreds of messages a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from portcrm import outbox
from portcrm.db import Database

GATHER = 0.02  # seconds a commit waits at most for more confirmations


class Recorder:
    def __init__(self, db: Database, *, batch: int = 1, in_flight: Callable[[], int] = lambda: 0) -> None:
        self.db, self.batch, self.in_flight = db, batch, in_flight
        self._waiting: list[tuple[list[int], int | None, asyncio.Future[None]]] = []
        self._arrived = asyncio.Event()
        self._lock = asyncio.Lock()

    async def sent(self, ids: list[int], message_id: int | None) -> None:
        """Returns once this message is committed as sent (by this call or by one that took it along)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((ids, message_id, done))
        self._arrived.set()
        async with self._lock:
            if not done.done():
                await self._gather()
                await self._commit()
        await done

    async def _gather(self) -> None:
        deadline = asyncio.get_running_loop().time() + GATHER
        while self.in_flight() and len(self._waiting) < self.batch:
            self._arrived.clear()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._arrived.wait()
            except TimeoutError:
                return

    async def _commit(self) -> None:
        batch, self._waiting = self._waiting, []
        try:
            async with self.db.session() as session:
                await outbox.record_sent(session, [(ids, message_id) for ids, message_id, _ in batch])
        except asyncio.CancelledError:
            for *_, done in batch:
                done.cancel()
            raise
        except Exception as error:  # every waiter hears of it, this one included
            for *_, done in batch:
                done.set_exception(error)
        else:
            for *_, done in batch:
                done.set_result(None)
