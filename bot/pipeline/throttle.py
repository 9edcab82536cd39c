"""Per-user flood control: a user sending faster than a person types is slowed, and told so, politely.

Each user has a token bucket (a sustained rate with room for a burst, such as a few quick button presses).
An update beyond it waits for its turn in that user's own task, so nobody else is slowed; at most
`max_waiting` of one user's updates wait at once, and beyond that an update is set aside unprocessed with
a notice to send it again (a flood must not grow memory without bound). The notice goes out once per
`notice_every` seconds, in the language of the user's Telegram app: this runs before any database work,
which is what keeps a flood cheap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update, User

from bot.delivery.rates import Clock, TokenBucket
from bot.pipeline.inbox import UPDATE_ATTEMPT
from portcrm.errors import N_
from portcrm.i18n import gettext_for, resolve_locale
from portcrm.settings import Locale

SLOWED = N_(
    "You are sending messages faster than we can answer. Please wait a moment: we will answer them in turn."
)
SET_ASIDE = N_(
    "Too many messages at once: this one was not processed. Please wait a few seconds and send it again."
)
FORGET_EVERY = 1000  # updates between sweeps of users whose buckets are full again


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
        state = self._state(user.id)
        delay = state.bucket.ready_at() - self.clock()
        if delay <= 0:
            state.bucket.take()
            return await handler(event, data)
        if state.waiting >= self.max_waiting:
            await self._tell(
                event, data["bot"], user, SET_ASIDE, state, always=event.callback_query is not None
            )
            return None
        state.bucket.take()  # into debt: the next update of this user waits one more turn
        state.waiting += 1
        try:
            await self._tell(event, data["bot"], user, SLOWED, state)
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

    async def _tell(
        self, event: Update, bot: Bot, user: User, msgid: str, state: _User, *, always: bool = False
    ) -> None:
        """The notice, at most once per `notice_every`; a button press set aside is always answered.

        A slowed button press is answered by its handler later (a query is answered once), so the notice
        goes to the chat as a message.
        """
        now = self.clock()
        if not always and now - state.noticed_at.get(msgid, float("-inf")) < self.notice_every:
            return
        state.noticed_at[msgid] = now
        text = gettext_for(resolve_locale(None, user.language_code, self.default_locale))(msgid)
        query = event.callback_query
        if query is not None and msgid == SET_ASIDE:
            await query.answer(text)
            return
        chat = (
            event.message.chat if event.message else query.message.chat if query and query.message else None
        )
        if chat is not None:
            await bot.send_message(chat.id, text)
