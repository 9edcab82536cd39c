"""Every button press is answered, once, within Telegram's time.

A callback query must be answered within about 15 s, or the answer fails with "query is too old" and the
user's button spins until then (platform facts). An update can be held up for longer than that before its
handler answers: slowed by the throttle, queued behind the chat's earlier updates, or waiting out a chat's
retry_after window (retry_after.py) in a call made before the answer. So:

- `AnswerOnce`, a session middleware, answers a query at most once: a later answer (the handler's, after the
  throttle or the deadline answered for it) is a harmless no-op that returns True, as Telegram's would have;
  two answers at once wait for one another.
- `watch` answers a query with no text `within` seconds after it was first watched, unless somebody answered
  it by then. The throttle watches a press as soon as it sees it; `AnswerInTime`, an outer middleware of the
  dispatcher's button presses, watches it too (for a bot without the throttle), and answers it once the
  handler has returned without answering.

answerCallbackQuery is not rate-limited, so none of these answers waits for a retry_after window.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import AiogramError
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import CallbackQuery, TelegramObject

log = logging.getLogger(__name__)

ANSWER_WITHIN = 10.0  # seconds after a press is first seen; Telegram's limit is about 15 from the press
KEEP = 60.0  # seconds a query is remembered: well past the time it can still be answered


@dataclass
class _Query:
    seen: float
    answer: asyncio.Future[bool] | None = None  # True once answered; False if the answer failed
    deadline: asyncio.TimerHandle | None = field(default=None, repr=False)


class AnswerOnce(BaseRequestMiddleware):
    """A session middleware: each callback query is answered once, and by its deadline when watched."""

    def __init__(self, *, within: float = ANSWER_WITHIN, clock: Callable[[], float] = time.monotonic) -> None:
        self.within, self.clock = within, clock
        self._queries: dict[str, _Query] = {}
        self._late: set[asyncio.Task[None]] = set()

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        if not isinstance(method, AnswerCallbackQuery):
            return await make_request(bot, method)
        query = self._query(method.callback_query_id)
        while query.answer is not None:
            if query.answer.done() and query.answer.result():
                return True  # answered already: Telegram would refuse a second answer as "too old"
            if not query.answer.done():
                await asyncio.shield(query.answer)
                continue
            break  # the earlier answer failed: this one is the answer
        query.answer = asyncio.get_running_loop().create_future()
        try:
            result = await make_request(bot, method)
        except BaseException:
            query.answer.set_result(False)
            raise
        query.answer.set_result(True)
        if query.deadline is not None:
            query.deadline.cancel()
        return result

    def answered(self, query_id: str) -> bool:
        query = self._queries.get(query_id)
        return (
            query is not None
            and query.answer is not None
            and (not query.answer.done() or query.answer.result())
        )

    def watch(self, bot: Bot, query_id: str) -> None:
        """Answer this query `within` seconds after it was first seen here, unless it has been by then."""
        query = self._query(query_id)
        if query.deadline is not None or self.answered(query_id):
            return
        delay = max(0.0, query.seen + self.within - self.clock())
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
        log.info("button press %s not answered in %.0f s: answered for its handler", query_id, self.within)
        task = asyncio.create_task(self.answer(bot, query_id), name=f"answer-{query_id}")
        self._late.add(task)
        task.add_done_callback(self._late.discard)

    def _query(self, query_id: str) -> _Query:
        query = self._queries.get(query_id)
        if query is None:
            now = self.clock()
            query = self._queries[query_id] = _Query(now)
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
        answers.watch(bot, event.id)  # type: ignore[arg-type]
        result = await handler(event, data)
        await answers.answer(bot, event.id)  # type: ignore[arg-type]  # a no-op when the handler answered
        return result
