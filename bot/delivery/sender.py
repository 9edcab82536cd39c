"""Delivers the notification outbox through the Bot API within Telegram's limits.

A pass loads the oldest due notifications of the chats that came due first (`outbox.due_by_chat`, whose
work follows what it returns, not the size of the outbox) and serves whichever chat may be served first,
so a chat waiting for its slot holds up nobody else. It goes in rounds: a round takes the next messages
that may start within ROUND_SECONDS, at most one per chat and none of a chat with a message still open,
claims them all in one transaction under one lease (renewed while any of them is still open), then sends
them in order, each recorded as soon as Telegram confirms it. The next round is claimed as soon as the
last one's sends have all started, so the window stays full across rounds (flight.py). Claiming per
round rather than per message is what makes the sender fast: per message there is the send and its
record, nothing else.

Crash guarantee: a message is open from the start of its send until its outcome is committed, and at most
`window` messages are open at once (`PORTCRM_DELIVERY_WINDOW`, default 1). A kill -9 repeats at most that
many messages: by default the one in flight, as before. Claimed messages that had not started come due
again when the lease ends and go out once. The price of a window of one is speed: one round trip to
Telegram plus one commit per message, so about ten messages a second over a 100 ms link. A wider window
reaches the broadcast rate over a slow link, and 2,000+ a second against a local sandbox, for up to
`window` repeats per crash; pacing, a chat's order and its one message a second are the same either way
(a chat never has two messages open).

Several instances share the rate through leadership.py: with Redis configured only one sender sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from collections.abc import Set as AbstractSet

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup

from bot.delivery import outcomes
from bot.delivery.digests import MAX_PER_DIGEST, Outgoing, next_message
from bot.delivery.flight import Flight
from bot.delivery.leadership import Leadership, for_bot
from bot.delivery.rates import Clock, Pacing
from bot.delivery.recorder import Recorder
from portcrm import outbox
from portcrm.db import Database
from portcrm.models import Notification
from portcrm.settings import Settings

log = logging.getLogger(__name__)

SEND_TIMEOUT = 10.0  # seconds; a send that takes longer is retried with back-off
CLAIM_LEASE = 6.0  # seconds a claim lasts unless renewed: after a crash its rows come due again then
PASS_SECONDS = 2.0  # how long one pass works from what it loaded before looking for newer rows
PASS_LIMIT = 2000  # notifications a pass loads at most (fewer at a low rate: rate x PASS_SECONDS x 4)
ROUND_SECONDS = 0.5  # a round claims the messages that may start within this
ROUND_LIMIT = 500  # messages a round claims at most (at a low rate: rate x ROUND_SECONDS)


class OutboxSender:
    """The outbox's writer to Telegram in this process; run() until cancelled."""

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
        rate: float | None = None,
        window: int | None = None,
        leadership: Leadership | None = None,
    ) -> None:
        """`rate` and `window` default to the settings. `rate=math.inf` lifts the overall limit, for
        benchmarks against a local sandbox: the settings cap the rate at Telegram's 30 a second."""
        self.db, self.bot, self.settings, self.interval = db, bot, settings, interval
        self.clock, self.send_timeout = clock, send_timeout
        rate = settings.broadcast_rate if rate is None else rate
        self.window = settings.delivery_window if window is None else window
        self.pacing = Pacing(rate, clock=clock)
        lifted = math.isinf(rate)
        self.round_limit = (
            ROUND_LIMIT if lifted else min(ROUND_LIMIT, max(1, math.ceil(rate * ROUND_SECONDS)))
        )
        self.pass_limit = (
            PASS_LIMIT if lifted else min(PASS_LIMIT, max(100, math.ceil(rate * PASS_SECONDS * 4)))
        )
        self.lease = dt.timedelta(seconds=claim_lease)
        self.backoff_base = backoff_base
        self.leadership = leadership or for_bot(settings, bot.id)
        self.recorder = Recorder(db, batch=max(1, self.window // 2), in_flight=lambda: self._in_flight)
        self._in_flight = 0  # sends started whose answer has not come yet
        self.alone: set[int] = set()  # notifications of a digest Telegram refused: each is tried alone
        self._halted = False  # Telegram asked us to wait: start nothing more in this pass

    async def run(self) -> None:
        async with self.leadership:
            while True:
                handled = 0
                if self.leadership.held:
                    try:
                        handled = await self.deliver_due()
                    except Exception:
                        log.exception("outbox delivery pass failed")
                if not handled:
                    await asyncio.sleep(self.interval)

    async def deliver_due(self) -> int:
        """One pass over what is due now; returns how many notifications it settled."""
        await self._sleep_until(self.pacing.paused_until)  # sit out a pause Telegram asked for
        self.pacing.forget_idle()
        self._halted = False
        queues = await self._load()
        if not queues:
            return 0
        flight = Flight(queues, self.window)
        async with self._holding(flight.held):
            try:
                await self._rounds(flight, self.clock() + PASS_SECONDS)
                await flight.landed()
            except asyncio.CancelledError:  # stopping: what is in flight now is what a crash would repeat
                await flight.abort()
                raise
        if flight.failure is not None:
            raise flight.failure
        return flight.handled

    async def _load(self) -> dict[int, deque[Notification]]:
        async with self.db.session() as session:
            await outbox.skip_blocked(session)
        async with self.db.session() as session:
            rows = await outbox.due_by_chat(session, per_chat=MAX_PER_DIGEST, limit=self.pass_limit)
        queues: dict[int, deque[Notification]] = {}
        for row in rows:  # oldest first, so the dict lists chats by their oldest waiting notification
            queues.setdefault(row.chat_id, deque()).append(row)
        self.alone.intersection_update(row.id for row in rows)
        return queues

    def _next_round(
        self, queues: dict[int, deque[Notification]], busy: AbstractSet[int], deadline: float
    ) -> list[Outgoing]:
        """The next message of each chat that may start soonest, leaving out the `busy` ones (a message
        of theirs is open); ties go to the oldest waiting."""
        now = self.clock()
        ready_at = self.pacing.chat_ready_at
        ready = sorted(
            (max(ready_at(chat), now), n, chat) for n, chat in enumerate(queues) if chat not in busy
        )
        if not ready:
            return []
        first = ready[0][0]
        if first > deadline:
            return []
        return [
            next_message(chat, queues[chat], alone=self.alone)
            for at, _, chat in ready[: self.round_limit]
            if at <= first + ROUND_SECONDS
        ]

    async def _rounds(self, flight: Flight, deadline: float) -> None:
        """Claim and start round after round; a round starts while the last one's sends are still open.

        A chat with a message open sits out the rounds until its outcome is in, so it never has two
        open and its verdict (drop the chat, split a digest) is applied before its next message is chosen.
        """
        queues = flight.queues
        while queues and self._may_send() and flight.failure is None:
            messages = self._next_round(queues, flight.chats, deadline)
            if not messages:
                if not flight.tasks:
                    return
                await flight.one_landed()  # its chat may come back within the pass
                continue
            async with self.db.session() as session:
                claimed = await outbox.claim_many(session, [m.ids for m in messages], self.lease)
            ours = []
            for message, mine in zip(messages, claimed, strict=True):
                if mine:
                    ours.append(message)
                else:  # another sender has it, or it changed: sending the chat's later ones would reorder it
                    queues.pop(message.chat_id, None)
            flight.held.update(i for message in ours for i in message.ids)
            started = await self._start_all(flight, ours)
            unsent = [i for message in ours[started:] for i in message.ids]
            for message in ours[started:]:  # taken off its queue but not sent: the chat waits for a new pass
                queues.pop(message.chat_id, None)
            if unsent:
                flight.held.difference_update(unsent)
                async with self.db.session() as session:
                    await outbox.release(session, unsent)

    async def _start_all(self, flight: Flight, messages: list[Outgoing]) -> int:
        """Start these in order as window places free up; returns how many started."""
        for started, message in enumerate(messages):
            await flight.slots.acquire()
            if self._may_send():
                await self._sleep_until(self.pacing.ready_at(message.chat_id))
            if not self._may_send() or flight.failure is not None:
                flight.slots.release()
                return started
            self.pacing.starting()
            flight.start(message, self._deliver(message, flight))
        return len(messages)

    async def _deliver(self, message: Outgoing, flight: Flight) -> None:
        try:
            verdict = await self._send(message)
        finally:
            flight.held.difference_update(message.ids)
            flight.slots.release()
        if verdict.stop_pass:
            self._halted = True
        flight.settle(message, verdict, self.alone)

    async def _send(self, message: Outgoing) -> outcomes.Verdict:
        try:
            message_id = await self._call(message)
        except Exception as error:
            if isinstance(error, outcomes.AMBIGUOUS):  # it may have arrived: count it against the chat
                self.pacing.finished(message.chat_id)
            return await outcomes.settle_failure(self, message, error)
        self.pacing.finished(message.chat_id)
        await self.recorder.sent(message.ids, message_id)
        return outcomes.Verdict(settled=len(message.ids))

    async def _call(self, message: Outgoing) -> int:
        """The Bot API call itself; the recorder waits for the calls in flight to join its commit."""
        markup = InlineKeyboardMarkup.model_validate(message.reply_markup) if message.reply_markup else None
        self._in_flight += 1
        try:
            async with asyncio.timeout(self.send_timeout):
                sent = await self.bot.send_message(message.chat_id, message.text, reply_markup=markup)
        finally:
            self._in_flight -= 1
        return sent.message_id

    def _may_send(self) -> bool:
        return not self._halted and self.leadership.held

    @contextlib.asynccontextmanager
    async def _holding(self, ids: set[int]) -> AsyncIterator[None]:
        """Renew the round's claim on what is still open, so the lease can stay short.

        A short lease matters after a crash: what was claimed comes due again when it ends.
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
                    if ids:
                        async with self.db.session() as session:
                            await outbox.extend_claim(session, list(ids), self.lease)
                except Exception:  # the sends' outcomes matter more: never let this replace them
                    log.exception("could not renew the claim on notifications %s", sorted(ids))

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
