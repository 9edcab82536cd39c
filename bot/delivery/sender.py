"""Delivers the notification outbox through the Bot API within Telegram's limits.

A pass loads the oldest due notifications of the chats that came due first (`outbox.due_by_chat`, whose
work follows what it returns, not the size of the outbox) and serves whichever chat may be served first,
so a chat waiting for its slot holds up nobody else. It goes in rounds: a round takes the next messages
that may start within ROUND_SECONDS, at most one per chat, claims them all in one transaction under one
lease (renewed while any of them is still open), then sends them in order, each recorded as soon as
Telegram confirms it. Claiming per round rather than per message is what makes the sender fast: per
message there is the send and its record, nothing else.

Crash guarantee: a message is open from the start of its send until its outcome is committed, and at most
`window` messages are open at once (`PORTCRM_DELIVERY_WINDOW`, default 1). A kill -9 repeats at most that
many messages: by default the one in flight, as before. Claimed messages that had not started come due
again when the lease ends and go out once. A clean stop (the task cancelled) repeats nothing: the sends in
flight finish and are recorded, and the rest of the round's claims are given back at once.

The price of a window of one is speed: one round trip to Telegram plus one commit per message, so about
ten messages a second over a 100 ms link. A wider window
reaches the broadcast rate over a slow link, and about 1,500 a second against a local sandbox on two
cores (CPU-bound: about 1.8 times raw `send_message`'s CPU per message, bench/delivery.py), for up to
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

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup

from bot.delivery import outcomes
from bot.delivery.digests import MAX_PER_DIGEST, Outgoing, next_message
from bot.delivery.leadership import Leadership, for_bot
from bot.delivery.rates import Clock, Pacing
from bot.delivery.recorder import Recorder
from bot.telegram.retry_after import windows_of
from portcrm.messaging import outbox
from portcrm.models import Notification
from portcrm.settings import Settings
from portcrm.storage.db import Database

log = logging.getLogger(__name__)

SEND_TIMEOUT = 10.0  # seconds; a send that takes longer is retried with back-off
CLAIM_LEASE = 6.0  # seconds a claim lasts unless renewed: after a crash its rows come due again then
PASS_SECONDS = 2.0  # how long one pass works from what it loaded before looking for newer rows
PASS_LIMIT = 500  # notifications a pass loads at most (fewer at a low rate: rate x PASS_SECONDS x 4)
ROUND_SECONDS = 0.5  # a round claims the messages that may start within this
ROUND_LIMIT = 500  # messages a round claims at most (at a low rate: rate x ROUND_SECONDS)

Sent = tuple[Outgoing, outcomes.Verdict]


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
        self.pacing = Pacing(rate, clock=clock, windows=windows_of(bot))
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
        deadline = self.clock() + PASS_SECONDS
        handled = 0
        while queues and self._may_send():
            messages = self._next_round(queues, deadline)
            if not messages:
                break
            for message, verdict in await self._round(messages):
                chat_id = message.chat_id
                handled += verdict.settled
                if verdict.split_digest:
                    self.alone.update(message.ids)
                    queues[chat_id].extendleft(reversed(message.notifications))
                if chat_id in queues and (verdict.drop_chat or not queues[chat_id]):
                    del queues[chat_id]
        return handled

    async def _load(self) -> dict[int, deque[Notification]]:
        async with self.db.session() as session:
            await outbox.park_blocked(session)
        async with self.db.session() as session:
            rows = await outbox.due_by_chat(session, per_chat=MAX_PER_DIGEST, limit=self.pass_limit)
        queues: dict[int, deque[Notification]] = {}
        for row in rows:  # oldest first, so the dict lists chats by their oldest waiting notification
            queues.setdefault(row.chat_id, deque()).append(row)
        self.alone.intersection_update(row.id for row in rows)
        return queues

    def _next_round(self, queues: dict[int, deque[Notification]], deadline: float) -> list[Outgoing]:
        """The next message of each chat that may start soonest; ties go to the oldest waiting."""
        now = self.clock()
        ready = sorted((max(self.pacing.chat_ready_at(chat), now), n, chat) for n, chat in enumerate(queues))
        first = ready[0][0]
        if first > deadline:
            return []
        return [
            next_message(chat, queues[chat], alone=self.alone)
            for at, _, chat in ready[: self.round_limit]
            if at <= first + ROUND_SECONDS
        ]

    async def _round(self, messages: list[Outgoing]) -> list[Sent]:
        async with self.db.session() as session:
            claimed = await outbox.claim_many(session, [m.ids for m in messages], self.lease)
        # another sender has it, or it changed meanwhile: sending the chat's later ones would reorder it
        results: list[Sent] = [
            (m, outcomes.Verdict(drop_chat=True))
            for m, ours in zip(messages, claimed, strict=True)
            if not ours
        ]
        ours = [m for m, mine in zip(messages, claimed, strict=True) if mine]
        if ours:
            held = {i for message in ours for i in message.ids}
            async with self._holding(held):
                results += await self._send_all(ours, held)
        return results

    async def _send_all(self, messages: list[Outgoing], held: set[int]) -> list[Sent]:
        """Send in order, at most `window` open at once; give back the claims of those never started.

        A chat whose retry_after window opened since the round was planned (a handler met a 429) is skipped
        rather than waited for: its claims are given back, and it comes due again after the window.
        """
        slots = asyncio.Semaphore(self.window)
        tasks: list[asyncio.Task[Sent]] = []
        skipped: list[Outgoing] = []
        started = 0  # messages started or skipped: the rest were never reached
        try:
            for message in messages:
                await slots.acquire()
                if self._may_send() and self.pacing.in_window(message.chat_id):
                    slots.release()
                    skipped.append(message)
                    started += 1
                    continue
                if self._may_send():
                    await self._sleep_until(self.pacing.ready_at(message.chat_id))
                if not self._may_send():
                    slots.release()
                    break
                self.pacing.starting()
                tasks.append(asyncio.create_task(self._deliver(message, slots, held)))
                started += 1
            done = await asyncio.gather(*tasks, return_exceptions=True)
        except asyncio.CancelledError:
            await self._stopping(tasks, [*skipped, *messages[started:]], held)
            raise
        unsent = [i for message in [*skipped, *messages[started:]] for i in message.ids]
        if unsent:
            held.difference_update(unsent)
            async with self.db.session() as session:
                await outbox.release(session, unsent)
        for outcome in done:
            if isinstance(outcome, BaseException):
                raise outcome
        # a skipped chat is done for this pass: its later notifications must not overtake the skipped one
        waiting: list[Sent] = [(message, outcomes.Verdict(drop_chat=True)) for message in skipped]
        return waiting + [outcome for outcome in done if not isinstance(outcome, BaseException)]

    async def _stopping(
        self, started: list[asyncio.Task[Sent]], unsent: list[Outgoing], held: set[int]
    ) -> None:
        """A clean stop: the sends already started finish and are recorded (each within the send timeout)
        and the claims of the rest are given back, so whoever sends next repeats nothing and need not wait
        for the lease to end. Only a crash, or a second cancellation while this runs, repeats what was in
        flight."""

        async def wind_down() -> None:
            await asyncio.gather(*started, return_exceptions=True)
            ids = [i for message in unsent for i in message.ids]
            if ids:
                held.difference_update(ids)
                async with self.db.session() as session:
                    await outbox.release(session, ids)

        winding = asyncio.ensure_future(wind_down())
        try:
            await asyncio.shield(winding)
        except asyncio.CancelledError:  # stopped again, in a hurry: cut the sends off
            for task in started:
                task.cancel()
            await asyncio.gather(winding, *started, return_exceptions=True)
        except Exception:
            log.exception("could not give back the claims of notifications not sent before stopping")

    async def _deliver(self, message: Outgoing, slots: asyncio.Semaphore, held: set[int]) -> Sent:
        try:
            verdict = await self._send(message)
        finally:
            held.difference_update(message.ids)
            slots.release()
        if verdict.stop_pass:
            self._halted = True
        return message, verdict

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
            # shielded: a stop arriving now must not be swallowed by the renewal, which ends by itself
            await asyncio.shield(renewal)

    async def _sleep_until(self, moment: float) -> None:
        delay = moment - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)

    def backoff(self, attempts: int) -> dt.timedelta:
        """Exponential back-off after a server error or timeout: base, 2x, 4x... capped at five minutes."""
        return dt.timedelta(seconds=min(300.0, self.backoff_base * 2**attempts))
