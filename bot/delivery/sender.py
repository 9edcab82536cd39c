"""Delivers the notification outbox through the Bot API within Telegram's limits.

A pass loads the oldest due notifications of the chats that came due first (`outbox.due_by_chat`, plain
columns, whose work follows what it returns, not the size of the outbox) and serves whichever chat may be
served first, so a chat waiting for its slot holds up nobody else. It goes in rounds: a round takes the next
messages that may start within ROUND_SECONDS, at most one per chat and none for a chat whose last message
is still open, claims them all in one transaction, and hands them to `window` long-lived workers, which
start them in order, each recorded as soon as Telegram confirms it. Nothing waits for a round to drain: the
next round, and the next pass, are claimed and started while the sends before them are on their way (a
pass waits for an outcome only when every chat it has left has a message open, as that outcome decides
what the chat gets next). Claiming per round rather than per message is what makes the sender fast: per
message there is the send and its record, nothing else. The claims of every message still open are
renewed together while the sender runs, so the lease can stay short.

Crash guarantee: a message is open from the start of its send until its outcome is committed, and at most
`window` messages are open at once (`PORTCRM_DELIVERY_WINDOW`, default 1). A kill -9 repeats at most that
many messages: by default the one in flight, as before. Claimed messages that had not started come due
again when the lease ends and go out once. A clean stop (the task cancelled) repeats nothing: the sends in
flight finish and are recorded, and the claims not yet started are given back at once.

The price of a window of one is speed: one round trip to Telegram plus one commit per message, so about
ten messages a second over a 100 ms link. A wider window reaches the broadcast rate over a slow link, for
up to `window` repeats per crash; against a local sandbox on two cores it is CPU-bound at about 1.5 times
raw `send_message`'s CPU per message (bench/delivery.py; much of the difference is the collector's).
Pacing, a chat's order and its one message a second are the same either way (a chat never has two
messages open).

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

from bot.delivery import outcomes, topics
from bot.delivery.digests import MAX_PER_DIGEST, Outgoing, next_message
from bot.delivery.leadership import Leadership, for_bot
from bot.delivery.rates import Clock, Pacing
from bot.delivery.recorder import Recorder
from bot.telegram.retry_after import windows_of
from portcrm.messaging import outbox
from portcrm.messaging.outbox import Due
from portcrm.settings import Settings
from portcrm.storage.db import Database

log = logging.getLogger(__name__)

SEND_TIMEOUT = 10.0  # seconds; a send that takes longer is retried with back-off
CLAIM_LEASE = 6.0  # seconds a claim lasts unless renewed: after a crash its rows come due again then
PASS_SECONDS = 2.0  # how long one pass works from what it loaded before looking for newer rows
PASS_LIMIT = 500  # notifications a pass loads at most (fewer at a low rate: rate x PASS_SECONDS x 4)
ROUND_SECONDS = 0.5  # a round claims the messages that may start within this
ROUND_LIMIT = 500  # messages a round claims at most (at a low rate: rate x ROUND_SECONDS)

Queues = dict[int, deque[Due]]  # a pass's notifications still to send, per chat, oldest first
Job = tuple[Outgoing, Queues]  # a message to send, and the queues of the pass it came from


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
        self.desk = topics.TopicWork(db, bot, settings)
        self._in_flight = 0  # sends started whose answer has not come yet
        self._open: set[int] = set()  # chats with a message claimed and not yet settled or given back
        self._held: set[int] = set()  # the notifications of those messages: their claims are renewed
        self.alone: set[int] = set()  # notifications of a digest Telegram refused: each is tried alone
        self._halted = False  # Telegram asked us to wait: start nothing more in this pass
        self._stopping = False  # run() is ending: start nothing more
        self._ready: deque[Job] = deque()  # claimed messages no worker has taken yet, in order
        self._more = asyncio.Event()  # set when there is something in _ready
        self._wanted = asyncio.Event()  # set when _ready runs low: the planner may claim the next round
        self._settled = asyncio.Event()  # set whenever a message is settled or given back
        self._turn = asyncio.Lock()  # held by the worker whose message is the next to start

    async def run(self) -> None:
        # left in this order: the sends still open finish (their claims renewed meanwhile), then the
        # lease is given up
        async with self.leadership, self._renewing(), self._working():
            while True:
                started = 0
                if self.leadership.held:
                    try:
                        started = await self.deliver_due()
                    except Exception:
                        log.exception("outbox delivery pass failed")
                if not started:
                    await asyncio.sleep(self.interval)

    async def deliver_due(self) -> int:
        """One pass over what is due now, on the window run() keeps; returns how many messages it claimed.

        It returns once the last of them has started, not once it has been answered."""
        await self._sleep_until(self.pacing.paused_until)  # sit out a pause Telegram asked for
        self.pacing.forget_idle()
        self._halted = False
        queues = await self._load()
        deadline = self.clock() + PASS_SECONDS
        claimed = 0
        while queues and self._may_send():
            messages = self._next_round(queues, deadline)
            if messages:
                claimed += await self._round(messages, queues)
            elif self._open.issuperset(queues):  # each chat left waits for the outcome of its open message
                self._settled.clear()
                await self._settled.wait()
            else:
                break
        return claimed

    async def _load(self) -> Queues:
        async with self.db.session() as session:
            await outbox.park_blocked(session)
        async with self.db.session() as session:
            rows = await outbox.due_by_chat(session, per_chat=MAX_PER_DIGEST, limit=self.pass_limit)
        queues: Queues = {}
        for row in rows:  # oldest first, so the dict lists chats by their oldest waiting notification
            chat_id = row.chat_id
            if chat_id not in self._open:  # its message settled since: the next pass reads it afresh
                queues.setdefault(chat_id, deque()).append(row)
        if not self._open:  # forget what no pass will load again (a split digest's are loaded or open)
            self.alone.intersection_update(row.id for row in rows)
        return queues

    def _next_round(self, queues: Queues, deadline: float) -> list[Outgoing]:
        """The next message of each chat that may start soonest; ties go to the oldest waiting. A chat
        whose queue it empties leaves the pass."""
        now = self.clock()
        chat_ready_at, is_open = self.pacing.chat_ready_at, self._open.__contains__
        ready = sorted(
            (max(chat_ready_at(chat), now), n, chat) for n, chat in enumerate(queues) if not is_open(chat)
        )
        if not ready or ready[0][0] > deadline:
            return []
        first = ready[0][0]
        messages = []
        for at, _, chat in ready[: self.round_limit]:
            if at > first + ROUND_SECONDS:
                break
            queue = queues[chat]
            messages.append(next_message(chat, queue, alone=self.alone))
            if not queue:
                del queues[chat]
        return messages

    async def _round(self, messages: list[Outgoing], queues: Queues) -> int:
        """Claim a round's messages and hand them to the workers, in order (each worker starts its message
        when its chat may go); returns once at most `window` are left to take.

        So the next round is claimed while the workers still have messages to take: a worker whose send
        is settled starts its next one at once, as a raw `send_message` loop does. Workers that sat idle
        while a round was claimed and then all started together made the young-generation collections
        several times as frequent (each send allocates a few hundred objects and frees them when it is
        answered), and the collections promoted the objects of the sends in flight until full
        collections of the bot's whole heap followed."""
        async with self.db.session() as session:
            claimed = await outbox.claim_many(session, [m.ids for m in messages], self.lease)
        for message, mine in zip(messages, claimed, strict=True):
            if mine:
                self._open.add(message.chat_id)
                self._held.update(message.ids)
                self._ready.append((message, queues))
            else:  # another sender has it, or it changed meanwhile: the chat's later ones must wait for it
                queues.pop(message.chat_id, None)
        if self._ready:
            self._more.set()
        if len(self._ready) > self.window:
            self._wanted.clear()
            await self._wanted.wait()
        return len(messages)

    @contextlib.asynccontextmanager
    async def _working(self) -> AsyncIterator[None]:
        """`window` workers while inside, each taking the next message from `_ready` once its last one
        is settled: so at most `window` sends are open, and a message costs no task or hand-over of its
        own (pulled by whichever worker is free, as raw `send_message` loops do; a dispatcher handing each
        message to a worker cost the sender a third of its speed, mostly in the collector's work).

        On the way out (a clean stop) the messages not taken are given back, and the workers finish the
        sends they started, each recorded; only a second cancellation meanwhile cuts those off.
        """
        self._stopping = False
        workers = [asyncio.create_task(self._worker(), name="outbox-send") for _ in range(self.window)]
        try:
            yield
        finally:
            self._stopping = True
            self._more.set()
            try:
                await asyncio.shield(self._give_back_ready())
                await asyncio.shield(asyncio.gather(*workers))
            finally:
                for worker in workers:
                    worker.cancel()
                await asyncio.gather(*workers, return_exceptions=True)

    async def _worker(self) -> None:
        ready = self._ready
        while not self._stopping:
            if not ready:
                self._wanted.set()
                self._more.clear()
                await self._more.wait()
                continue
            job = ready.popleft()
            if len(ready) <= self.window:
                self._wanted.set()
            try:
                await self._attempt(job)
            except Exception:
                log.exception("an outbox send failed unexpectedly")

    async def _attempt(self, job: Job) -> None:
        """Start this message when its chat and the overall rate allow, unless the sender must stop, or a
        handler met a 429 for the chat since the round was planned: then the message is given back (it
        comes due again after the window) rather than waited for, and its chat is done for this pass.

        Workers start their messages one at a time, in the order they took them, as a single loop would:
        the overall bucket is spent when a send really starts, so its spacing is the one Telegram sees.
        """
        message, queues = job
        chat_id = message.chat_id
        start = False
        async with self._turn:  # never waited for without a limit to pace by: nothing sleeps then
            if self._may_send() and not self.pacing.in_window(chat_id):
                await self._sleep_until(self.pacing.ready_at(chat_id))
                start = self._may_send()
                if start:
                    self.pacing.starting()
        if start:
            await self._deliver(message, queues)
            return
        if self._may_send():  # skipped: its later notifications must not overtake it
            queues.pop(chat_id, None)
            await self._give_back([message])
        else:  # and every message not taken yet, before anyone else takes one
            await self._give_back([message, *self._untake()])

    def _untake(self) -> list[Outgoing]:
        messages = [message for message, _ in self._ready]
        self._ready.clear()
        self._wanted.set()
        return messages

    async def _give_back_ready(self) -> None:
        messages = self._untake()
        if messages:
            await self._give_back(messages)

    async def _give_back(self, messages: list[Outgoing]) -> None:
        """Release the claims of messages that were not sent after all: due again at once."""
        ids = [i for message in messages for i in message.ids]
        self._held.difference_update(ids)
        try:
            async with self.db.session() as session:
                await outbox.release(session, ids)
        finally:
            self._open.difference_update(message.chat_id for message in messages)
            self._settled.set()

    async def _deliver(self, message: Outgoing, queues: Queues) -> None:
        """Send, record, and tell the message's pass what its outcome means for the chat."""
        chat_id = message.chat_id
        try:
            verdict = await self._send(message)
            if verdict.stop_pass:
                self._halted = True
            if verdict.split_digest:
                self.alone.update(message.ids)
                queues.setdefault(chat_id, deque()).extendleft(reversed(message.notifications))
            elif verdict.drop_chat:
                queues.pop(chat_id, None)
        except BaseException:
            queues.pop(chat_id, None)
            raise
        finally:
            self._held.difference_update(message.ids)
            self._open.discard(chat_id)
            self._settled.set()

    async def _send(self, message: Outgoing) -> outcomes.Verdict:
        try:
            message_id = await self._call(message)
        except topics.Deferred as deferred:  # the topic came first, or is being created elsewhere
            if deferred.requested:
                self.pacing.finished(message.chat_id)
            async with self.db.session() as session:
                await outbox.postpone(session, message.ids, deferred.delay, None)
            return outcomes.Verdict(drop_chat=True)
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
        action = message.notifications[0].action
        if action is not None:  # a desk row: its own request (never in a digest), with its own reads and
            # writes around it, so not counted in flight: the recorder's commit, which waits for the calls in
            # flight, would hold the database those need (SQLite: one writer)
            async with asyncio.timeout(self.send_timeout):
                return await self.desk.perform(message, action, markup)
        self._in_flight += 1
        try:
            async with asyncio.timeout(self.send_timeout):
                sent = await self.bot.send_message(message.chat_id, message.text, reply_markup=markup)
        finally:
            self._in_flight -= 1
        return sent.message_id

    def _may_send(self) -> bool:
        return not self._halted and not self._stopping and self.leadership.held

    @contextlib.asynccontextmanager
    async def _renewing(self) -> AsyncIterator[None]:
        """Renew the claims of every message still open (started or not), so the lease can stay short.

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
                ids = list(self._held)
                try:
                    if ids:
                        async with self.db.session() as session:
                            await outbox.extend_claim(session, ids, self.lease)
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
