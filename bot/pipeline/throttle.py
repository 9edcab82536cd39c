"""Per-user flood control: a user sending faster than a person types is slowed, and told so, politely.

Each user has a token bucket (a sustained rate with room for a burst, such as a few quick button presses).
An update beyond it waits for its turn in that user's own task, so nobody else is slowed; at most
`max_waiting` of one user's updates wait at once, and beyond that an update is set aside unprocessed with
a notice to send it again (a flood must not grow memory without bound). This runs before any database work,
which is what keeps a flood cheap; notices are in the language of the user's Telegram app.

A notice is a courtesy, never a fault. A user this fast is the one whose chat meets Telegram's own limit, so
a notice never waits for, nor is sent into, the chat's retry_after window (bot/telegram/retry_after.py), is
tried once, and a failure is logged in one line, never turned into an incident. The "slowed" message goes
out at most once per `notice_every` seconds, and is dropped when it cannot go now (the answers it announces
are on their way); the "set aside" message, which the user must see to resend, waits for the window to pass
(up to MAX_DEFER) in the set-aside update's own task, which has nothing else to do.

A button press is answered at once when slowed or set aside, with the notice as its text: the wait could
outlast the ~15 s Telegram allows for an answer, and a query is answered only once, so the handler's later
answer is a no-op (bot/telegram/callback_answers.py). Every other press is watched from here, so that it is
answered in time even if it queues behind the chat's earlier updates.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import AiogramError
from aiogram.types import TelegramObject, Update, User

from bot.delivery.rates import Clock, TokenBucket
from bot.pipeline.inbox import UPDATE_ATTEMPT
from bot.telegram.callback_answers import answers_of, chat_of_press
from bot.telegram.retries import handling_update
from bot.telegram.retry_after import patience
from portcrm.errors import N_
from portcrm.i18n import gettext_for, resolve_locale
from portcrm.settings import Locale

log = logging.getLogger(__name__)

SLOWED = N_(
    "You are sending messages faster than we can answer. Please wait a moment: we will answer them in turn."
)
SET_ASIDE = N_(
    "Too many messages at once: this one was not processed. Please wait a few seconds and send it again."
)
FORGET_EVERY = 1000  # updates between sweeps of users whose buckets are full again
NOTICE_TIMEOUT = 5.0  # seconds a notice's request may take
MAX_DEFER = 10.0  # seconds a "set aside" notice may wait for the chat's window; beyond, it is dropped


@dataclass
class _User:
    bucket: TokenBucket
    waiting: int = 0
    noticed_at: dict[str, float] = field(default_factory=dict)  # notice -> when it was last given


class Throttle(BaseMiddleware):
    def __init__(
        self,
        default_locale: Locale,
        *,
        rate: float = 1.0,
        burst: int = 10,
        max_waiting: int = 10,
        notice_every: float = 30.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.default_locale, self.rate, self.burst = default_locale, rate, burst
        self.max_waiting, self.notice_every, self.clock = max_waiting, notice_every, clock
        self._users: dict[int, _User] = {}
        self._seen = 0

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or not isinstance(event, Update) or data.get(UPDATE_ATTEMPT, 1) > 1:
            return await handler(event, data)  # a try again was counted at its first
        bot: Bot = data["bot"]
        answers = answers_of(bot) if event.callback_query is not None else None
        if answers is not None and event.callback_query is not None:
            query = event.callback_query
            answers.watch(bot, query.id, chat_of_press(query))  # answered in time, however long it queues
        state = self._state(user.id)
        delay = state.bucket.ready_at() - self.clock()
        if delay <= 0:
            state.bucket.take()
            return await handler(event, data)
        if state.waiting >= self.max_waiting:
            await self._tell(event, bot, user, SET_ASIDE, state)
            return None
        state.bucket.take()  # into debt: the next update of this user waits one more turn
        state.waiting += 1
        try:
            await self._tell(event, bot, user, SLOWED, state)
            await asyncio.sleep(delay)
        finally:
            state.waiting -= 1
        return await handler(event, data)

    def _state(self, user_id: int) -> _User:
        self._seen += 1
        if self._seen % FORGET_EVERY == 0:
            self._users = {k: v for k, v in self._users.items() if v.waiting or not v.bucket.full}
        state = self._users.get(user_id)
        if state is None:
            bucket = TokenBucket(self.rate, self.burst, clock=self.clock)
            state = self._users[user_id] = _User(bucket)
        return state

    async def _tell(self, event: Update, bot: Bot, user: User, msgid: str, state: _User) -> None:
        """A button press is answered with the notice; a message gets it in the chat, if it may go now."""
        text = gettext_for(resolve_locale(None, user.language_code, self.default_locale))(msgid)
        query = event.callback_query
        if query is not None:
            answers = answers_of(bot)
            if answers is not None:
                await answers.answer(bot, query.id, text)
            else:
                await _courteously(query.id, lambda: bot.answer_callback_query(query.id, text=text))
            return
        chat = event.message.chat.id if event.message is not None else None
        now = self.clock()
        if chat is None or chat < 0:  # a group (the desk's): the bot says nothing there, and 20 a minute
            return
        if now - state.noticed_at.get(msgid, float("-inf")) < self.notice_every:
            return
        state.noticed_at[msgid] = now
        await _courteously(
            chat, lambda: bot.send_message(chat, text), waits=MAX_DEFER if msgid == SET_ASIDE else 0.0
        )


async def _courteously(about: int | str, send: Callable[[], Awaitable[Any]], *, waits: float = 0.0) -> None:
    """A notice: tried once, briefly; kept out of the chat's retry_after window, waiting for it up to
    `waits` seconds; a failure is a line in the log."""
    try:
        with handling_update(False), patience(waits):
            async with asyncio.timeout(waits + NOTICE_TIMEOUT):
                await send()
    except (AiogramError, TimeoutError) as error:
        log.info("throttle notice for %s not delivered: %s", about, error)
