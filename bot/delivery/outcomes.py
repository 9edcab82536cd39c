"""What a refused or failed send means for its notifications, and for the rest of the pass.

- 429: Telegram asked us to wait: the chat's notifications are postponed for retry_after, without counting
  an attempt (nothing failed, nothing is lost), and the chat waits out its window (the bot's session keeps
  it, bot/telegram/retry_after.py, whoever met the 429). Other chats go on, unless the window is the bot's:
  then the pass stops. A send refused by the session because a handler's 429 opened the window meanwhile
  is settled the same way, and never reached Telegram.
- 5xx (Telegram's 502 page included), network errors (a dropped connection) and timeouts: exponential
  back-off per notification; failed after MAX_ATTEMPTS.
- 403 (blocked, deactivated) and 400 "chat not found" (never started the bot): a person's notifications are
  parked until they start or unblock the bot, then delivered in order; a group's are given up.
- Any other 400: that message can never be sent; logged and failed (a refused digest is split first, so
  one bad notification does not take the others with it).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Protocol

from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
)

from bot.delivery.digests import Outgoing
from bot.delivery.rates import Pacing, is_group
from bot.telegram.retries import TRANSIENT
from portcrm.messaging import outbox
from portcrm.services.recipients.reachability import record_blocked, record_not_started
from portcrm.settings import Settings
from portcrm.storage.db import Database

log = logging.getLogger(__name__)

AMBIGUOUS = (TelegramNetworkError, TimeoutError)  # no answer: the message may have been delivered


class Sending(Protocol):
    """What settling a failure needs of the sender, which passes itself: a Protocol, so that this module
    need not import the sender that imports it."""

    db: Database
    settings: Settings
    pacing: Pacing

    def backoff(self, attempts: int) -> dt.timedelta: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    settled: int = 0  # notifications finished for now: sent, parked, unreachable or failed
    drop_chat: bool = False  # nothing more for this chat in this pass
    stop_pass: bool = False  # Telegram asked us to wait
    split_digest: bool = False  # send this digest's notifications one by one


async def settle_failure(sender: Sending, message: Outgoing, error: Exception) -> Verdict:
    db, chat_id, ids = sender.db, message.chat_id, message.ids
    if isinstance(error, TelegramRetryAfter):
        log.warning("Telegram asked to wait %ss before sending to %s", error.retry_after, chat_id)
        windows = sender.pacing.windows
        windows.open(chat_id, error.retry_after)  # kept by the session already, unless it has no windows
        async with db.session() as session:
            await outbox.postpone(session, ids, dt.timedelta(seconds=error.retry_after), error.message)
        return Verdict(stop_pass=True) if windows.is_open(None) else Verdict(drop_chat=True)
    if isinstance(error, TelegramForbiddenError) or (
        isinstance(error, TelegramBadRequest) and "chat not found" in error.message.lower()
    ):
        return Verdict(settled=await _unreachable(sender, message, error.message), drop_chat=True)
    if isinstance(error, TelegramBadRequest) and len(ids) > 1:
        log.warning("digest to %s refused (%s); sending its notifications one by one", chat_id, error.message)
        async with db.session() as session:
            await outbox.postpone(session, ids, dt.timedelta(0), None)
        return Verdict(split_digest=True)
    if isinstance(error, TelegramBadRequest | TelegramMigrateToChat):
        log.error("notifications %s to %s refused by Telegram: %s", ids, chat_id, error.message)
        async with db.session() as session:
            for notification_id in ids:
                await outbox.mark_failed(session, notification_id, error.message)
        return Verdict(settled=len(ids))
    if isinstance(error, TRANSIENT):  # 5xx (a 502 page too), a lost connection, no answer in time
        log.warning("sending %s to %s failed, will retry: %r", ids, chat_id, error)
    else:  # 401, 404, 409 or a bug of ours: keep the notifications, retry slowly, make noise
        log.error("sending %s to %s failed unexpectedly", ids, chat_id, exc_info=error)
    async with db.session() as session:
        await outbox.back_off(
            session, ids, str(error) or type(error).__name__, sender.backoff(message.attempts)
        )
    return Verdict(drop_chat=True)


async def _unreachable(sender: Sending, message: Outgoing, reason: str) -> int:
    """Nothing reaches this chat now. A group's pending notifications are given up; a person's are parked
    until they start the bot or unblock it (portcrm/services/recipients/reachability.py)."""
    chat_id = message.chat_id
    async with sender.db.session() as session:
        if is_group(chat_id):
            log.error("the bot cannot write to group %s: %s", chat_id, reason)
            return await outbox.mark_unreachable_chat(session, chat_id, reason)
        if "chat not found" in reason.lower():  # never started the bot: their first /start releases these
            parked = await record_not_started(session, chat_id, reason=reason)
            if parked is None:  # they have written to the bot meanwhile: try again
                await outbox.back_off(session, message.ids, reason, sender.backoff(message.attempts))
                return 0
            return parked
        settings = sender.settings
        return await record_blocked(
            session,
            chat_id,
            reason=reason,
            today=dt.datetime.now(settings.tz).date(),
            default_locale=settings.default_locale,
            market_chat_id=settings.department_chats.get("market"),
        )
