"""Records confirmed sends, as few transactions as the window allows (group commit).

A message stays open, holding one of the window's places, until its record is committed. With one
send in flight each record is committed at once, as the crash guarantee needs. With more, a commit
waits for the sends still in flight to join it (portcrm/storage/group_commit.py), until half the window is
waiting or GATHER seconds passed: one transaction then carries many messages, which is what lets the sender
keep up with Telegram answering hundreds of messages a second.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from portcrm.messaging import outbox
from portcrm.storage.db import Database
from portcrm.storage.group_commit import GroupCommit

GATHER = 0.02  # seconds a commit waits at most for more confirmations


class Recorder(GroupCommit[tuple[list[int], int | None]]):
    def __init__(self, db: Database, *, batch: int = 1, in_flight: Callable[[], int] = lambda: 0) -> None:
        super().__init__(self._record)
        self.db, self.batch, self.in_flight = db, batch, in_flight

    async def sent(self, ids: list[int], message_id: int | None) -> None:
        """Returns once this message is committed as sent (by this call or by one that took it along)."""
        await self.add((ids, message_id))

    async def gather(self) -> None:
        await super().gather()  # those confirmed in this turn of the loop, at least
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(GATHER):  # one timer for the whole wait, not one per arrival
                while self.in_flight() and self.pending < self.batch:
                    self.arrived.clear()
                    await self.arrived.wait()

    async def _record(self, sent: list[tuple[list[int], int | None]]) -> None:
        async with self.db.session() as session:
            await outbox.record_sent(session, sent)
