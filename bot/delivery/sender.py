"""Delivers the notification outbox through the Bot API within Telegram's limits, one message at a time.

Each pass loads the oldest due notifications of every chat and serves whichever chat may be served
first, so a chat waiting for its slot holds up nobody else. Every message is claimed in its own short
transaction before it is sent and recorded in another as soon as Telegram confirms it; only one send is
ever in flight, so a crash (kill -9) between the two can repeat at most one message.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import AsyncIterator

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup

from bot.delivery import outcomes
from bot.delivery.digests import MAX_PER_DIGEST, Outgoing, next_message
from bot.delivery.rates import Clock, Pacing
from portcrm import outbox
from portcrm.db import Database
from portcrm.models import Notification
from portcrm.settings import Settings

log = logging.getLogger(__name__)

SEND_TIMEOUT = 10.0  # seconds; a send that takes longer is retried with back-off
CLAIM_LEASE = 6.0  # seconds a claim lasts unless renewed: after a crash its rows come due again then
PASS_SECONDS = 2.0  # how long one pass works from what it loaded before looking for newer rows
PASS_LIMIT = 2000


class OutboxSender:
    """The outbox's only writer to Telegram in this process; run() until cancelled."""

    def __init__(
        self,
        db: Database,
        bot: Bot,
        settings: Settings,
        interval: float = 0.5,
        *,
        clock: Clock = time.monotonic,
        send_timeout: float = SEND_TIMEOUT,
        backoff_base: float = 2.0,
        claim_lease: float = CLAIM_LEASE,
    ) -> None:
        self.db, self.bot, self.settings, self.interval = db, bot, settings, interval
        self.clock, self.send_timeout = clock, send_timeout
        self.pacing = Pacing(settings.broadcast_rate, clock=clock)
        self.lease = dt.timedelta(seconds=claim_lease)
        self.backoff_base = backoff_base
        self.alone: set[int] = set()  # notifications of a digest Telegram refused: each is tried alone

    async def run(self) -> None:
        while True:
            try:
                handled = await self.deliver_due()
            except Exception:
                log.exception("outbox delivery pass failed")
                handled = 0
            if not handled:
                await asyncio.sleep(self.interval)

    async def deliver_due(self) -> int:
        """One pass over what is due now; returns how many notifications it settled."""
        await self._sleep_until(self.pacing.paused_until)  # sit out a pause Telegram asked for
        self.pacing.forget_idle()
        async with self.db.session() as session:
            await outbox.skip_blocked(session)
        async with self.db.session() as session:
            rows = await outbox.due_by_chat(session, per_chat=MAX_PER_DIGEST, limit=PASS_LIMIT)
        queues: dict[int, deque[Notification]] = {}
        for row in rows:  # oldest first, so the dict lists chats by their oldest waiting notification
            queues.setdefault(row.chat_id, deque()).append(row)
        self.alone.intersection_update(row.id for row in rows)
        deadline = self.clock() + PASS_SECONDS
        handled = 0
        while queues:
            choice = self.pacing.next_chat(queues)
            if choice is None or choice[1] > deadline:
                break
            chat_id, ready = choice
            await self._sleep_until(ready)  # the chat's own slot; _deliver waits for the overall rate
            message = next_message(chat_id, queues[chat_id], alone=self.alone)
            verdict = await self._deliver(message)
            handled += verdict.settled
            if verdict.split_digest:
                self.alone.update(message.ids)
                queues[chat_id].extendleft(reversed(message.notifications))
            if verdict.stop_pass:
                break
            if verdict.drop_chat or not queues[chat_id]:
                del queues[chat_id]
        return handled

    async def _deliver(self, message: Outgoing) -> outcomes.Verdict:
        await self._sleep_until(self.pacing.ready_at(message.chat_id))
        async with self.db.session() as session:
            claimed = await outbox.claim(session, message.ids, self.lease)
        if not claimed:  # another sender has this chat's next message, or it changed meanwhile:
            return outcomes.Verdict(drop_chat=True)  # sending the chat's later ones now would reorder it
        self.pacing.starting()
        markup = InlineKeyboardMarkup.model_validate(message.reply_markup) if message.reply_markup else None
        try:
            async with self._holding(message.ids), asyncio.timeout(self.send_timeout):
                sent = await self.bot.send_message(message.chat_id, message.text, reply_markup=markup)
        except Exception as error:
            if isinstance(error, outcomes.AMBIGUOUS):  # it may have arrived: count it against the chat
                self.pacing.finished(message.chat_id)
            return await outcomes.settle_failure(self, message, error)
        self.pacing.finished(message.chat_id)
        async with self.db.session() as session:
            await outbox.mark_sent_many(session, message.ids, sent.message_id)
        return outcomes.Verdict(settled=len(message.ids))

    @contextlib.asynccontextmanager
    async def _holding(self, ids: list[int]) -> AsyncIterator[None]:
        """Renew the claim while a slow send is in flight, so the lease can stay short.

        A short lease matters after a crash: the message that was in flight comes due again when it ends.
        The renewal is never cancelled halfway through its transaction; it is told to stop and awaited.
        """
        done = asyncio.Event()

        async def renew() -> None:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), self.lease.total_seconds() / 3)
                if done.is_set():
                    return
                try:
                    async with self.db.session() as session:
                        await outbox.extend_claim(session, ids, self.lease)
                except Exception:  # the send's outcome matters more: never let this replace it
                    log.exception("could not renew the claim on notifications %s", ids)

        renewal = asyncio.create_task(renew(), name="outbox-claim")
        try:
            yield
        finally:
            done.set()
            await renewal

    async def _sleep_until(self, moment: float) -> None:
        delay = moment - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)

    def backoff(self, attempts: int) -> dt.timedelta:
        """Exponential back-off after a server error or timeout: base, 2x, 4x... capped at five minutes."""
        return dt.timedelta(seconds=min(300.0, self.backoff_base * 2**attempts))
