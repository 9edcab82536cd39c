"""Every update is written down before it is handled, and replayed after a crash.

The rows and their rules are portcrm/messaging/inbox.py's.

Long polling: `RecordFetched` writes each fetched batch inside the getUpdates call itself, before the
dispatcher sees it, so the batch is written before the next getUpdates confirms it to Telegram. Webhook:
`HandleOnce` writes the update before handling it, and Telegram's update is answered only afterwards.
Either way `HandleOnce` skips an update handled already, and marks it handled when its handler is done,
whether it returned or raised (the error handler then apologises with an incident number, which answers
it); a failure that may pass is tried again first (see `HandleOnce`). A refusal (`DomainError`) never
gets here: it is answered where the handler ran (bot/handlers/errors.py), and the handler returns. What
stays unhandled is what a crash cut off. With long polling the next start replays it (only one process may
poll a bot, so nobody else is handling it); a webhook instance never answered it, so Telegram delivers it
again to whichever instance is up.

Webhook instances may be several, and Telegram may deliver one update to two of them at nearly the same
moment. Each takes a webhook update with a claim (`inbox.claim`, one atomic statement), renewed while its
handler runs; the one that finds another's live claim answers 500 (`Redeliver`) without handling it. Not
200: the holder may still fail or die, and then only Telegram's redelivery brings the update back. The
next delivery finds it handled (200), or, if the holder died, its claim lapsed and takes it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.types import TelegramObject, Update

from bot.pipeline.redelivery import Redeliver
from bot.telegram.callback_answers import BACKLOG_WITHIN, answers_of, chat_of_press
from bot.telegram.retries import handling_update, is_transient
from portcrm.messaging import inbox
from portcrm.models.base import utcnow
from portcrm.services.identity.known import KnownIdentities
from portcrm.storage.db import Database, current_writes, watching_writes
from portcrm.storage.group_commit import GroupCommit
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)
T = TypeVar("T")
TELEGRAM_REDELIVERS = "telegram_redelivers"  # dispatcher data set by the webhook: Telegram retries a 500
UPDATE_ATTEMPT = "update_attempt"  # dispatcher data: which try at this update this is, from 1
WEBHOOK_PATIENCE = 10.0
RELEASE_PATIENCE = 5.0  # how long a webhook's 500 waits for its claim to be given back (the answer is due)
INSTANCE = f"{socket.gethostname()}:{os.getpid()}"  # who holds a webhook update's claim, for the operator


def as_json(update: Update) -> dict[str, Any]:
    """Telegram's own JSON for an update, which `Update.model_validate` reads back."""
    return update.model_dump(mode="json", by_alias=True, exclude_none=True)


class Fetched:
    """Ids of polled updates that `RecordFetched` wrote and took for their first attempt, which `HandleOnce`
    then starts without a transaction of its own."""

    def __init__(self) -> None:
        self._taken: set[int] = set()

    def add(self, update_ids: set[int]) -> None:
        self._taken |= update_ids

    def take(self, update_id: int) -> bool:
        if update_id in self._taken:
            self._taken.discard(update_id)
            return True
        return False


class HandledMarks(GroupCommit[int]):
    """Marks updates handled, in one transaction for those whose handlers end in the same turn of the event
    loop or while another mark commits (group commit): under load that is many of them, and alone a mark
    waits for nobody."""

    def __init__(self, db: Database) -> None:
        super().__init__(self._mark)
        self.db = db

    async def handled(self, update_id: int) -> None:
        """Returns once the mark is committed, by this call or by one that took it along."""
        await self.add(update_id)

    async def _mark(self, update_ids: list[int]) -> None:
        async with self.db.session() as session:
            await inbox.finish(session, update_ids)


class RecordFetched(BaseRequestMiddleware):
    """A Bot API session middleware: a fetched batch is written before getUpdates returns it, and the
    identity generation read in the same transaction (bot/pipeline/identity.py).

    The first batch after a start holds what was sent while the bot was down: its button presses are
    older than they look, and are answered soon (bot/telegram/callback_answers.py)."""

    def __init__(self, db: Database, fetched: Fetched, known: KnownIdentities) -> None:
        self.db, self.fetched, self.known = db, fetched, known
        self._first = True

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        result = await make_request(bot, method)
        if isinstance(method, GetUpdates) and result:
            async with self.db.session() as session, transaction(session):
                self.fetched.add(await inbox.record(session, [as_json(update) for update in result]))
                await self.known.observe(session)
            if self._first:
                self._first = False
                answer_soon(bot, result)
        return result


def answer_soon(bot: Bot, updates: list[Update], ages: list[float] | None = None) -> None:
    """Button presses that may have waited while the bot was down: answered within BACKLOG_WITHIN of now.
    `ages`: how long ago each was received, when known (a replay's): one already too old is not tried."""
    answers = answers_of(bot)
    if answers is None:
        return
    for update, age in zip(updates, ages or [0.0] * len(updates), strict=True):
        if update.callback_query is not None:
            query = update.callback_query
            answers.watch(bot, query.id, chat_of_press(query), within=BACKLOG_WITHIN, age=age)


class HandleOnce(BaseMiddleware):
    """An outer update middleware: each update_id is handled once, and marked when it has been.

    A handler failing on something that may pass (`is_transient`: the database gone or locked) before it
    committed anything, so that trying again redoes nothing, is not apologised for until the update's
    last attempt: with long polling the update is tried again here after a pause; a webhook answers 500
    (`Redeliver`) and Telegram delivers it again. The database unreachable when an update is taken or
    marked is waited out with long polling (`patience`); a webhook answers 500 if it cannot take the
    update, and 200 if the handler did its work but the mark failed (Telegram's 200 is then the mark).

    A webhook update is taken with a claim for `lease`, renewed every third of it while the handler runs,
    and given back when it is left to Telegram's redelivery; an update claimed by another instance now
    answers 500. A polled update costs nothing of that: it is taken when its batch is written. Whatever
    takes an update reads the identity generation in the same transaction (bot/pipeline/identity.py).
    """

    def __init__(
        self,
        db: Database,
        fetched: Fetched,
        known: KnownIdentities,
        *,
        patience: float = 300.0,
        backoff: float = 0.5,
        lease: dt.timedelta = inbox.CLAIM_LEASE,
        instance: str = INSTANCE,
    ) -> None:
        self.db, self.fetched, self.known = db, fetched, known
        self.marks = HandledMarks(db)
        self._in_hand: set[int] = set()  # polled updates being handled in this process
        self.patience = patience
        self.backoff = backoff
        self.lease, self.instance = lease, instance

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        if data.get(TELEGRAM_REDELIVERS):
            return await self._delivered(handler, event, data)
        if event.update_id in self._in_hand:  # being replayed, and fetched again: its fetch was not confirmed
            log.info("update %s is being replayed: its second fetch is skipped", event.update_id)
            return None
        self._in_hand.add(
            event.update_id
        )  # before anything waits: the replay's tasks take theirs as they start
        try:
            return await self._polled(handler, event, data)
        finally:
            self._in_hand.discard(event.update_id)

    async def _polled(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: Update,
        data: dict[str, Any],
    ) -> Any:
        attempt = 1 if self.fetched.take(event.update_id) else await self._begin(event)
        while True:
            if not attempt:
                return None
            try:
                with handling_update(), watching_writes() as writes:
                    # a try must not see the last one's data
                    result = await handler(event, {**data, UPDATE_ATTEMPT: attempt})
            except Exception as error:
                if not is_transient(error) or writes.committed or attempt >= inbox.MAX_ATTEMPTS:
                    await self._finish(event.update_id, webhook=False)
                    raise  # the error handler apologises
                log.warning("update %s failed on attempt %s: %r", event.update_id, attempt, error)
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
                attempt = await self._begin(event)
                continue
            await self._finish(event.update_id, webhook=False)
            return result

    async def _delivered(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        update: Update,
        data: dict[str, Any],
    ) -> Any:
        """A webhook's update: claimed, handled once, marked; or left to Telegram's redelivery (500)."""
        attempt = await self._claim(update, data["bot"])
        if not attempt:
            return None
        # made here, outside what counts the handler's writes: the claim's renewals are not the handler's
        claim = HeldClaim(self.db, update.update_id, attempt, self.lease)
        try:
            with handling_update(), watching_writes() as writes:
                result = await handler(update, {**data, UPDATE_ATTEMPT: attempt})
        except Exception as error:
            if not is_transient(error) or writes.committed or attempt >= inbox.MAX_ATTEMPTS:
                claim.drop()
                await self._finish(update.update_id, webhook=True)
                raise  # the error handler apologises
            log.warning("update %s failed on attempt %s: %r", update.update_id, attempt, error)
            await claim.give_back(RELEASE_PATIENCE)
            raise Redeliver(update.update_id) from error
        finally:
            claim.drop()  # whatever happened: renewals stop (a claim given back or marked needs none)
        await self._finish(update.update_id, webhook=True)
        return result

    async def _begin(self, update: Update) -> int:
        async def begin() -> int:
            async with self.db.session() as session, transaction(session):
                attempt = await inbox.begin(session, update.update_id, as_json(update))
                await self.known.observe(session)
                return attempt

        return await self._patiently(begin, update.update_id, self.patience)

    async def _claim(self, update: Update, bot: Bot) -> int:
        try:
            async with self.db.session() as session, transaction(session):
                attempt = await inbox.claim(
                    session, update.update_id, as_json(update), by=self.instance, lease=self.lease
                )
                await self.known.observe(session)
                return attempt
        except inbox.ClaimedElsewhere as held:
            log.info("%s; left for Telegram to deliver again", held)
            # Telegram delivers again when the delivery failed: most likely its holder died. Its press is
            # answered here, in time; a holder alive answers too, and the second answer is refused as too
            # old, which is no error (bot/telegram/callback_answers.py).
            answer_soon(bot, [update])
            raise Redeliver(update.update_id) from held
        except Exception as error:
            if is_transient(error):
                log.warning(
                    "update %s could not be claimed (%r); left for Telegram to deliver again",
                    update.update_id,
                    error,
                )
                raise Redeliver(update.update_id) from error
            raise

    async def _finish(self, update_id: int, webhook: bool) -> None:
        async def finish() -> None:
            await self.marks.handled(update_id)

        # Left unmarked, a polled update would be handled again at the next start, and a webhook's answer
        # is due within about a minute: after that Telegram's 200 is the mark (nothing replays webhooks).
        try:
            await self._patiently(finish, update_id, WEBHOOK_PATIENCE if webhook else self.patience)
        except Exception:
            log.exception("update %s was handled but could not be marked so", update_id)

    async def _patiently(self, operation: Callable[[], Awaitable[T]], update_id: int, patience: float) -> T:
        """The operation, tried again while the database is unreachable, for up to `patience` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        delay = self.backoff
        while True:
            try:
                return await operation()
            except Exception as error:
                if not is_transient(error) or loop.time() + delay > deadline:
                    raise
                log.warning("update %s waits for the database: %r", update_id, error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


class HeldClaim:
    """A webhook update's claim while its handler runs, kept by a task of its own: renewed every third of
    the lease until dropped, or given back when the update is left to Telegram's redelivery.

    The task ends by itself, after the statement it may be running: never cancelled mid-statement (on
    SQLite that could wait out a busy timeout), and a renewal never comes after the claim was given back.
    Dropped without giving back, the claim ends with the update's mark (or lapses).
    """

    _running: ClassVar[set[asyncio.Task[None]]] = set()  # referenced until they end

    def __init__(self, db: Database, update_id: int, attempt: int, lease: dt.timedelta) -> None:
        self.db, self.update_id, self.attempt, self.lease = db, update_id, attempt, lease
        self._stop = asyncio.Event()
        self._give_back = False
        self._task = asyncio.create_task(self._keep(), name=f"claim-{update_id}")
        self._running.add(self._task)
        self._task.add_done_callback(self._running.discard)

    def drop(self) -> None:
        self._stop.set()

    async def give_back(self, patience: float) -> None:
        """Returns once the claim is given back, or after `patience` seconds (it goes on meanwhile)."""
        self._give_back = True
        self._stop.set()
        await asyncio.wait([self._task], timeout=patience)

    async def _keep(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.lease.total_seconds() / 3):
                    await self._stop.wait()
            if self._stop.is_set():
                break
            try:
                async with self.db.session() as session:
                    if not await inbox.renew(session, self.update_id, self.attempt, self.lease):
                        log.warning("update %s: claim of attempt %s lost", self.update_id, self.attempt)
                        return
            except Exception as error:  # the claim lasts until its lease ends; the next renewal may pass
                log.warning("update %s: could not renew its claim: %r", self.update_id, error)
        if self._give_back:
            try:
                async with self.db.session() as session:
                    await inbox.release(session, self.update_id, self.attempt)
            except Exception as error:  # it lapses by itself: the redelivery waits until then
                log.warning("update %s: could not give back its claim: %r", self.update_id, error)


class WritesFromHere(BaseMiddleware):
    """Placed after the identity middleware: the last-seen time it records is harmless to record twice, so
    only what comes after it decides whether `HandleOnce` may try an update again."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        writes = current_writes()
        if writes is not None:
            writes.forget()
        return await handler(event, data)


_REPLAYS: set[asyncio.Task[None]] = set()  # referenced until they end


async def replay_unhandled(dispatcher: Dispatcher, bot: Bot, db: Database) -> int:
    """Start handling the updates a crash cut off, each chat's in order; returns how many there are.

    Each in a task of its own, as polling would: one chat's replay, held up by faults and retries, holds
    neither the others' nor polling, which begins at once (while the bot was down, people went on pressing
    buttons that must be answered within 15 s). The tasks are made in order, and each takes its turn in its
    chat as it starts (chat_order.py), before polling can bring that chat's later updates; an update
    fetched again because its fetch was never confirmed is skipped while its replay runs (`HandleOnce`).
    Shutdown waits for the replays like any update in flight."""
    async with db.session() as session:
        cut_off = await inbox.unhandled(session)
    updates = [Update.model_validate(payload, context={"bot": bot}) for payload, _ in cut_off]
    now = utcnow()
    answer_soon(bot, updates, [max(0.0, (now - received).total_seconds()) for _, received in cut_off])
    for update in updates:
        task = asyncio.create_task(_replay(dispatcher, bot, update), name=f"replay-{update.update_id}")
        _REPLAYS.add(task)
        task.add_done_callback(_REPLAYS.discard)
    await asyncio.sleep(0)  # each task takes its turn in its chat, and its update id, as it starts
    return len(updates)


async def _replay(dispatcher: Dispatcher, bot: Bot, update: Update) -> None:
    log.warning("replaying update %s, cut off before it was handled", update.update_id)
    try:
        await dispatcher.feed_update(bot, update)
    except Exception:  # counted as an attempt by HandleOnce; the others still get their turn
        log.exception("replaying update %s failed", update.update_id)
