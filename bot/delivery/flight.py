"""The sends of one pass that are open, whatever round they came from, and what their outcomes change.

Rounds overlap: the next round starts while the last one's sends are still open, so the window stays full
across round boundaries instead of draining at each. What keeps that safe lives here: one set of window
places for the whole pass, the chats with a message open (they sit out new rounds), and each outcome
applied to the pass's queues the moment it is in.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Coroutine
from typing import Any

from bot.delivery.digests import Outgoing
from bot.delivery.outcomes import Verdict
from portcrm.models import Notification


class Flight:
    def __init__(self, queues: dict[int, deque[Notification]], window: int) -> None:
        self.queues = queues
        self.slots = asyncio.Semaphore(window)  # a place is held from the send's start to its record
        self.chats: set[int] = set()  # chats with a message open
        self.held: set[int] = set()  # claimed notifications not yet settled (their claim is renewed)
        self.tasks: set[asyncio.Task[None]] = set()
        self.handled = 0
        self.failure: BaseException | None = None  # the first send that raised: nothing more starts

    def start(self, message: Outgoing, send: Coroutine[Any, Any, None]) -> None:
        self.chats.add(message.chat_id)
        task = asyncio.create_task(send)
        self.tasks.add(task)
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None and self.failure is None:
            self.failure = error

    def settle(self, message: Outgoing, verdict: Verdict, alone: set[int]) -> None:
        """Apply a send's outcome to its chat's queue; the chat may then take part in rounds again."""
        chat_id, queues = message.chat_id, self.queues
        self.handled += verdict.settled
        if verdict.split_digest:
            alone.update(message.ids)
            queues.setdefault(chat_id, deque()).extendleft(reversed(message.notifications))
        if chat_id in queues and (verdict.drop_chat or not queues[chat_id]):
            del queues[chat_id]
        self.chats.discard(chat_id)

    async def one_landed(self) -> None:
        await asyncio.wait(self.tasks, return_when=asyncio.FIRST_COMPLETED)

    async def landed(self) -> None:
        """Until every send has its outcome."""
        while self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def abort(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.landed()
