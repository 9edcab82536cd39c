"""Every button press is answered, once, within Telegram's time.

A callback query must be answered within about 15 s of the press, or the answer fails with "query is too
old" and the user's button spins until then (platform facts). An update can be held up for longer than that
before its handler answers: slowed by the throttle, queued behind the chat's earlier updates, or waiting out
a chat's retry_after window (retry_after.py) in a call made before the answer. So:

- `AnswerOnce`, a session middleware, answers a query at most once: a later answer (the handler's, after the
  throttle or the deadline answered for it) is a harmless no-op that returns True, as Telegram's would have;
  two answers at once wait for one another.
- It owns an answer's tries, whoever asked for it: a lost or refused try is tried again while the press can
  still be answered (no try sets out more than `last_try` seconds after the press was first seen), after a
  short back-off or once the chat's retry_after window has passed. Every answer names the chat its button
  was pressed in (`answering_in`), so that its 429 holds that chat and it keeps out of the chat's window; it
  goes before the chat's other requests waiting for their turn. A try whose reply was lost (a dropped
  connection, a 5xx, no answer in time) may have landed: Telegram then refuses the next try as "query is
  too old", which here means answered. An answer that can no longer be given is not sent (or Telegram's
  "too old" is taken as the word that it cannot), and returns False: not an error, the handler goes on to
  the messages that carry its reply.
- `watch` answers a query with no text `within` seconds after it was first watched, unless somebody answered
  it by then. The throttle watches a press as soon as it sees it; `AnswerInTime`, an outer middleware of the
  dispatcher's button presses, watches it too (for a bot without the throttle), and answers it once the
  handler has returned without answering. A press that may have waited while the bot was down (replayed
  after a crash, or in the first batch fetched after a start: bot/pipeline/inbox.py) is older than it looks,
  and is watched with `BACKLOG_WITHIN`; a replayed one counts its time from when the process before first
  received it, so one already too old is not tried at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import AiogramError, TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import CallbackQuery, TelegramObject

from bot.telegram.retries import TRANSIENT
from bot.telegram.retry_after import ChatKey, answering_in, outside_window, patience, windows_of

log = logging.getLogger(__name__)

# seconds after a press is first seen: answered for its handler if it has not been. Short, for a press may
# have waited before it was seen (Telegram holds a chat's updates while its previous one is handled)
ANSWER_WITHIN = 3.0
LAST_TRY = 13.0  # seconds after a press is first seen: no try at its answer sets out later (Telegram: ~15)
BACKLOG_WITHIN = 1.0  # the same, for a press that may have waited while the bot was down
BACKOFF = 0.25  # seconds before an answer is tried again after a lost try, doubled each time up to 1 s
MAX_BACKOFF = 1.0  # answerCallbackQuery has no flood limit: within the press's time, try often
TRY_TIMEOUT = 4.0  # seconds a try may take once it sets out: the next one still has time
KEEP = 60.0  # seconds a query is remembered: well past the time it can still be answered
TOO_OLD = "query is too old"  # Telegram's refusal of a press that cannot be answered any more


def chat_of_press(query: CallbackQuery) -> int:
    """The chat a button was pressed in: its message's, or the user's own for a message we cannot see."""
    return query.message.chat.id if query.message is not None else query.from_user.id


@dataclass
class _Query:
    seen: float
    chat: ChatKey = None
    answer: asyncio.Future[bool] | None = None  # True once answered; False if the answer failed
    hopeless: bool = False  # too old to be answered: never tried again
    deadline: asyncio.TimerHandle | None = field(default=None, repr=False)


class AnswerOnce(BaseRequestMiddleware):
    """A session middleware: each callback query is answered once, in time, and by its deadline when
    watched."""

    def __init__(
        self,
        *,
        within: float = ANSWER_WITHIN,
        last_try: float = LAST_TRY,
        backoff: float = BACKOFF,
        try_timeout: float = TRY_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.within, self.last_try, self.backoff, self.clock = within, last_try, backoff, clock
        self.try_timeout = try_timeout
        self._queries: dict[str, _Query] = {}
        self._late: set[asyncio.Task[None]] = set()

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        if not isinstance(method, AnswerCallbackQuery):
            return await make_request(bot, method)
        query = self._query(method.callback_query_id)
        if query.hopeless:
            return False
        while query.answer is not None:
            if query.answer.done() and query.answer.result():
                return True  # answered already: Telegram would refuse a second answer as "too old"
            if not query.answer.done():
                await asyncio.shield(query.answer)
                continue
            break  # the earlier answer failed: this one is the answer
        query.answer = asyncio.get_running_loop().create_future()
        answered = False
        try:
            result = await self._tries(make_request, bot, method, query)
            answered = result is not False
        finally:
            query.answer.set_result(answered)
        if answered and query.deadline is not None:
            query.deadline.cancel()
        return result

    async def _tries(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: AnswerCallbackQuery,
        query: _Query,
    ) -> Any:
        """The answer, tried until it lands or the press is too old; False when it could not be given."""
        last = query.seen + self.last_try
        lost = False  # a try whose reply never came, which may have landed
        delay = self.backoff
        while True:
            left = last - self.clock()
            if left <= 0:
                log.warning(
                    "button press %s left unanswered: too old to answer now", method.callback_query_id
                )
                query.hopeless = True
                return False
            try:
                chat = answering_in(query.chat) if query.chat is not None else contextlib.nullcontext()
                with chat, patience(left):
                    await outside_window(bot, method)  # not part of the try's time
                    async with asyncio.timeout(self.try_timeout):
                        return await make_request(bot, method)
            except TelegramRetryAfter as error:  # the chat's window is open (retry_after.py keeps it)
                if self.clock() + error.retry_after >= last:
                    log.warning(
                        "button press %s left unanswered: its chat must wait %s s",
                        method.callback_query_id,
                        error.retry_after,
                    )
                    return False
                if windows_of(bot) is None:  # else the next try waits for the window where it is kept
                    await asyncio.sleep(error.retry_after)
            except TelegramBadRequest as error:
                if lost:  # the lost try had landed: Telegram refuses a second answer to a query
                    log.info(
                        "button press %s was answered by a try whose reply was lost (%s)",
                        method.callback_query_id,
                        error.message,
                    )
                    return True
                if TOO_OLD not in error.message:
                    raise
                log.warning("button press %s left unanswered: %s", method.callback_query_id, error.message)
                query.hopeless = True
                return False
            except TRANSIENT as error:
                lost = True
                log.info(
                    "answer to button press %s failed (%s), tried again in %.2f s",
                    method.callback_query_id,
                    type(error).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)

    def answered(self, query_id: str) -> bool:
        """Answered, or being answered."""
        query = self._queries.get(query_id)
        return (
            query is not None
            and query.answer is not None
            and (not query.answer.done() or query.answer.result())
        )

    def can_answer(self, query_id: str) -> bool:
        """Not answered, and still in time to be: an alert can be shown with this answer."""
        query = self._queries.get(query_id)
        return not self.answered(query_id) and (query is None or self.clock() < query.seen + self.last_try)

    def watch(
        self,
        bot: Bot,
        query_id: str,
        chat: ChatKey = None,
        *,
        within: float | None = None,
        age: float = 0.0,
    ) -> None:
        """Answer this query `within` seconds after it was first seen, unless it has been by then.
        `chat`: where its button was pressed, whose retry_after window its answer keeps out of; `age`: how
        long ago it was first seen (by the process before, for a replayed press)."""
        query = self._query(query_id, age)
        if chat is not None:
            query.chat = chat
        if query.deadline is not None or self.answered(query_id):
            return
        delay = max(0.0, query.seen + (self.within if within is None else within) - self.clock())
        # a context of its own: the answer must not pass as the call of the handler being run now
        query.deadline = asyncio.get_running_loop().call_later(
            delay, self._overdue, bot, query_id, context=contextvars.Context()
        )

    async def answer(self, bot: Bot, query_id: str, text: str | None = None) -> None:
        """Answer now unless it was answered; a failure is logged, not raised (nothing more can be done)."""
        if self.answered(query_id):
            return
        try:
            await bot.answer_callback_query(query_id, text=text)
        except (AiogramError, TimeoutError) as error:
            log.warning("could not answer button press %s: %s", query_id, error)

    def _overdue(self, bot: Bot, query_id: str) -> None:
        if self.answered(query_id):
            return
        log.info("button press %s not answered in time: answered for its handler", query_id)
        task = asyncio.create_task(self.answer(bot, query_id), name=f"answer-{query_id}")
        self._late.add(task)
        task.add_done_callback(self._late.discard)

    def _query(self, query_id: str, age: float = 0.0) -> _Query:
        query = self._queries.get(query_id)
        if query is None:
            now = self.clock()
            query = self._queries[query_id] = _Query(now - min(age, KEEP / 2))  # kept till swept
            while (first := next(iter(self._queries.values()))).seen < now - KEEP:  # oldest first
                if first.deadline is not None:
                    first.deadline.cancel()
                del self._queries[next(iter(self._queries))]
        return query


def answers_of(bot: Bot) -> AnswerOnce | None:
    """The callback answers kept by this bot's session, if it keeps them (bot/runtime/app.py installs it)."""
    for middleware in bot.session.middleware:
        if isinstance(middleware, AnswerOnce):
            return middleware
    return None


class AnswerInTime(BaseMiddleware):
    """An outer middleware of button presses: each is watched, and answered if its handler did not."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        bot: Bot | None = data.get("bot")
        answers = answers_of(bot) if bot is not None else None
        if answers is None or not isinstance(event, CallbackQuery):
            return await handler(event, data)
        answers.watch(bot, event.id, chat_of_press(event))  # type: ignore[arg-type]
        result = await handler(event, data)
        await answers.answer(bot, event.id)  # type: ignore[arg-type]  # a no-op when the handler answered
        return result
