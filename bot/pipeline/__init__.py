"""The update pipeline: what every update passes through before a handler sees it, in this order.

Outer middlewares (per update, before routing):

0. `redelivery.LeaveForTelegram` (webhook instances): an update left for Telegram to deliver again is
   answered 500 without being logged as a failure.
1. `chat_order.TakeTurn`: the update takes its turn in its chat before anything can make it wait, so a
   chat's updates reach the conversation lock in the order Telegram sent them.
2. `inflight.InFlight`: counts it, so shutdown lets it finish before the HTTP session closes.
3. `inbox.HandleOnce`: finds it written (polling) or claims it (webhook: one instance of several, by
   an atomic claim with a lease), skips it if handled already, marks it handled afterwards; a failure
   that may pass is tried again here.
4. `throttle.Throttle` (when a rate is set): a flood is slowed before it queues on the conversation lock
   and before any database work, which is what keeps it cheap.
5. `fsm.RememberConversations` (webhook instances with the database storage): the conversation is read
   once per update. A poller's storage remembers across updates by itself.
6. aiogram's FSM middleware: takes the chat's conversation lock (events isolation) and loads its state.
   `fsm.WriteConversationsOnce` (the database storage): what the handlers write of the conversation is
   committed in one transaction when they are done, still inside the lock.
7. `database.DatabaseMiddleware`: one session per update, rolled back unless a service committed.
8. `identity.IdentityMiddleware`: the Telegram user as a plain `Identity` (kept between updates while
   the identity generation, read as updates are taken, says it holds), and the audit actor.
9. `inbox.WritesFromHere`: counts what the handler commits, so a retry never does a committed part twice.

Then, per event, `i18n.IdentityI18nMiddleware` picks the locale from the identity. Counting, the once-only
check and throttling come before the FSM middleware because it holds the chat's lock: an update waiting
there is already counted and written down, and a flood is met before it queues.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Dispatcher
from aiogram.utils.i18n import I18n

from bot.pipeline.chat_order import ChatTurns, InTurns, TakeTurn
from bot.pipeline.database import DatabaseMiddleware
from bot.pipeline.fsm import (
    DatabaseStorage,
    RememberConversations,
    WriteConversationsOnce,
    build_isolation,
    build_storage,
)
from bot.pipeline.i18n import IdentityI18nMiddleware
from bot.pipeline.identity import IdentityMiddleware
from bot.pipeline.inbox import Fetched, HandleOnce, WritesFromHere
from bot.pipeline.inflight import InFlight
from bot.pipeline.redelivery import LeaveForTelegram
from bot.pipeline.throttle import Throttle
from portcrm.services.identity.known import KnownIdentities
from portcrm.settings import Settings
from portcrm.storage.db import Database


@dataclass(frozen=True, slots=True)
class Pipeline:
    """What start-up and shutdown need of the pipeline: updates in flight, those fetched by polling, and
    the identities kept between updates (whatever takes updates reads their generation)."""

    inflight: InFlight
    fetched: Fetched
    known: KnownIdentities


def dispatcher_with_pipeline(
    db: Database, settings: Settings, i18n: I18n, *, polling: bool
) -> tuple[Dispatcher, Pipeline]:
    """A dispatcher whose updates pass the pipeline above. `polling`: this process long-polls, and so alone
    handles the bot's updates (Telegram refuses a second poller); a webhook instance may have company."""
    storage = build_storage(settings, db, sole_instance=polling)
    turns = ChatTurns()
    isolation = InTurns(build_isolation(storage), turns)
    dispatcher = Dispatcher(storage=storage, events_isolation=isolation, db=db, settings=settings)
    pipeline = Pipeline(InFlight(), Fetched(), KnownIdentities())
    outer = dispatcher.update.outer_middleware
    outer.unregister(dispatcher.fsm)  # registered again below, after what must come before it
    if not polling:
        outer(LeaveForTelegram())
    outer(TakeTurn(turns))
    outer(pipeline.inflight)
    outer(HandleOnce(db, pipeline.fetched, pipeline.known))
    if settings.user_rate_limit > 0:
        outer(Throttle(settings.default_locale, rate=settings.user_rate_limit, burst=settings.user_burst))
    if isinstance(storage, DatabaseStorage) and not polling:
        outer(RememberConversations())
    outer(dispatcher.fsm)
    if isinstance(storage, DatabaseStorage):
        outer(WriteConversationsOnce(storage))
    outer(DatabaseMiddleware(db))
    outer(IdentityMiddleware(settings.default_locale, pipeline.known))
    outer(WritesFromHere())
    IdentityI18nMiddleware(i18n).setup(dispatcher)
    return dispatcher, pipeline
