"""The one authority on retry_after windows: after a 429, nothing is sent to that chat until it has passed.

Telegram refuses again, and holds against the bot, any request sent inside a 429's `retry_after` window,
whichever code path sends it (platform facts: the wait belongs to the chat, and the bot, not the call). A
handler's reply, the throttle's notice, an error apology and the outbox all send to the same chats, so
`KeepOutOfWindows`, the innermost middleware of the bot's session, sees every request: it records every 429
in `RetryAfterWindows` and keeps every later request for that chat out of the window. What a request does
when its chat is inside a window is the caller's `patience`:

- it waits for the window to pass, if that is within its patience: a handler's call waits up to
  `RetryHandlerCalls.max_retry_after`, an error apology somewhat longer;
- otherwise it is refused here, without being sent, with the `TelegramRetryAfter` Telegram would answer.
  Outside a handler the patience is nil: the outbox postpones the chat's notifications, the throttle drops
  or defers its notice.

A request names its chat by `chat_id`; one naming none is the bot's. A 429 opens that chat's window.
Telegram's answer does not say which limit was hit, and a 429 of the bot's overall limit (about 30 a second,
handlers' replies and the outbox together) would open a window for every chat, with requests to other chats
already on their way into it. So requests set out at most `per_second` (`PORTCRM_TELEGRAM_RATE`, 28) in any
second, whoever sends them: below Telegram's overall limit, so that a 429 for a chat is that chat's. (Taking
a 429 met at that pace for the bot's, as this once did, held every chat for every chat's 429 in a busy
second: 57 times in a few minutes of the fault campaign.) Several processes sharing a bot must each be
given their share of the rate: none knows the others' pace. `getUpdates` is not rate-limited: it neither
waits nor counts nor opens a window.

`answerCallbackQuery` has no flood limit of its own, so it does not count against the pace; but nothing
says a 429 answered to it spares the chat, so it is the chat's like any request: its 429 opens the window
of the chat the button was pressed in (named by `answering_in`, as the request names none), and it stays
out of that chat's window. A button must be answered within Telegram's ~15 s, so an answer goes before the
chat's other requests waiting for their turn (callback_answers.py decides how long it may wait).

The windows are this process's; with several instances and Redis, each 429 is shared with the others and
each request looks there too (shared_windows.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import AnswerCallbackQuery, GetUpdates, TelegramMethod

if TYPE_CHECKING:
    from bot.telegram.shared_windows import SharedWindows

Clock = Callable[[], float]
ChatKey = int | str | None  # a chat id, or None for the bot as a whole

NOT_LIMITED = (GetUpdates,)
NOT_PACED = (AnswerCallbackQuery, GetUpdates)  # no flood limit: they do not count against the pace
OVERALL_PER_SECOND = 28.0  # requests setting out in any second, below Telegram's "about 30"
FORGET_AFTER = 1000  # windows opened between sweeps of the ones that have passed

_patience: ContextVar[float | None] = ContextVar("portcrm_retry_after_patience", default=None)
_answering_in: ContextVar[ChatKey] = ContextVar("portcrm_answering_in", default=None)


@contextlib.contextmanager
def patience(seconds: float) -> Iterator[None]:
    """Calls made inside wait up to `seconds` for their chat's window, and are refused beyond."""
    token = _patience.set(seconds)
    try:
        yield
    finally:
        _patience.reset(token)


def current_patience(default: float = 0.0) -> float:
    """The patience set around the calls being made, or `default` when nobody set one."""
    chosen = _patience.get()
    return default if chosen is None else chosen


@contextlib.contextmanager
def answering_in(chat: ChatKey) -> Iterator[None]:
    """Callback answers made inside are for a button pressed in this chat (the request does not say)."""
    token = _answering_in.set(chat)
    try:
        yield
    finally:
        _answering_in.reset(token)


def chat_of(method: TelegramMethod[Any]) -> ChatKey:
    """The chat a request is for; None when it names none (an inline message, the bot's own settings)."""
    if isinstance(method, AnswerCallbackQuery):
        return _answering_in.get()
    chat_id = getattr(method, "chat_id", None)
    return chat_id if isinstance(chat_id, int | str) else None


class RetryAfterWindows:
    """Until when each chat, and the bot as a whole, must not be sent to."""

    def __init__(
        self,
        clock: Clock = time.monotonic,
        *,
        per_second: float = OVERALL_PER_SECOND,
        shared: SharedWindows | None = None,
    ) -> None:
        """`per_second=math.inf` lifts the overall pace, for benchmarks against a local sandbox; `shared`:
        the windows the bot's other instances heard of."""
        self.clock, self.per_second, self.shared = clock, per_second, shared
        self._bot_until = -math.inf
        self._chats: dict[str, float] = {}
        self._in_flight = 0  # requests on their way, or waiting for their answer
        self._answered: deque[float] = deque()  # when the requests answered in the last second were
        self._pace = asyncio.Lock()  # requests waiting for their slot, in order
        self._freed = asyncio.Event()
        self._opened = 0

    def until(self, chat_id: ChatKey) -> float:
        """When a request for this chat may go: its own window's end or the bot's, whichever is later."""
        if chat_id is None:
            return self._bot_until
        own = self._chats.get(str(chat_id), -math.inf)
        return own if own > self._bot_until else self._bot_until

    @property
    def bot_until(self) -> float:
        return self._bot_until

    def is_open(self, chat_id: ChatKey) -> bool:
        return self.until(chat_id) > self.clock()

    def open(self, chat_id: ChatKey, seconds: float) -> None:
        """Nothing is sent to this chat (None: to anyone) for `seconds` from now."""
        until = self.clock() + seconds
        if chat_id is None:
            self._bot_until = max(self._bot_until, until)
            return
        key = str(chat_id)
        self._chats[key] = max(self._chats.get(key, -math.inf), until)
        self._opened += 1
        if self._opened % FORGET_AFTER == 0:
            now = self.clock()
            self._chats = {chat: end for chat, end in self._chats.items() if end > now}

    def refused(self, chat_id: ChatKey, retry_after: float) -> None:
        """Telegram answered 429 for this chat (None: for a request of the bot's own): its window."""
        self.open(chat_id, retry_after)

    async def share(self, chat_id: ChatKey, retry_after: float) -> None:
        """The window of a 429 this instance met, told to the others."""
        if self.shared is not None:
            await self.shared.opened(None if chat_id is None else str(chat_id), retry_after)

    async def learn(self, chat_id: ChatKey) -> None:
        """The chat's and the bot's windows that other instances met, made this instance's too."""
        if self.shared is None:
            return
        own, everyone = await self.shared.remaining(None if chat_id is None else str(chat_id))
        if own > 0:
            self.open(chat_id, own)
        if everyone > 0:
            self.open(None, everyone)

    @contextlib.asynccontextmanager
    async def slot(self, method: TelegramMethod[Any]) -> AsyncIterator[None]:
        """Held by a rate-limited request from before it sets out until its answer: at most `per_second`
        requests are on their way or were answered within the last second. Counted from the answer, not
        from the start: when a request reached Telegram is known only to be before its answer."""
        if math.isinf(self.per_second) or isinstance(method, NOT_PACED):
            yield
            return
        async with self._pace:
            while self._busy() >= self.per_second:
                self._freed.clear()
                oldest = self._answered[0] + 1.001 - self.clock() if self._answered else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._freed.wait(), oldest)
            self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._answered.append(self.clock())
            self._freed.set()

    def _busy(self) -> int:
        horizon = self.clock() - 1.0
        while self._answered and self._answered[0] <= horizon:
            self._answered.popleft()
        return self._in_flight + len(self._answered)


class KeepOutOfWindows(BaseRequestMiddleware):
    """The innermost session middleware: records every 429 and keeps every request out of its window.

    A chat has one request in flight at a time. Two at once (the outbox's and a handler's, say) would both
    be on their way when the first one's 429 opened the window, and the second would arrive inside it; one
    at a time, the second sets out knowing. Telegram handles a chat's messages in order anyway. A callback
    answer goes first among those waiting, and waits for the one in flight no longer than its patience:
    a button left spinning is worse than the slim chance that the request before it meets a 429 just then.
    """

    def __init__(self, windows: RetryAfterWindows | None = None) -> None:
        self.windows = windows or RetryAfterWindows()
        self._turns: dict[str, _Turn] = {}

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        if isinstance(method, NOT_LIMITED):
            return await make_request(bot, method)
        chat = chat_of(method)
        while True:
            await _outside_window(self.windows, method, chat)  # not holding the chat's turn meanwhile
            # the pace first: a chat's turn is held only by a request on its way, so that a button's answer
            # (not paced) waits for no request waiting for its second
            async with (
                self.windows.slot(method),
                self._turn(chat, urgent=isinstance(method, AnswerCallbackQuery)),
            ):
                if self.windows.is_open(chat):
                    continue  # opened by the request before us: wait for it, or be refused
                try:
                    return await make_request(bot, method)
                except TelegramRetryAfter as error:
                    self.windows.refused(chat, error.retry_after)
                    await self.windows.share(chat, error.retry_after)
                    raise

    @contextlib.asynccontextmanager
    async def _turn(self, chat: ChatKey, *, urgent: bool) -> AsyncIterator[None]:
        if chat is None:  # the bot's own requests are few, and not a chat's
            yield
            return
        key = str(chat)
        turn = self._turns.get(key) or self._turns.setdefault(key, _Turn())
        turn.users += 1
        try:
            taken = True
            if not urgent:
                await turn.take()
            else:
                try:
                    async with asyncio.timeout(current_patience()):
                        await turn.take(urgent=True)
                except TimeoutError:  # the request in flight hangs: the answer goes without its turn
                    taken = False
            try:
                yield
            finally:
                if taken:
                    turn.give()
        finally:
            turn.users -= 1
            if not turn.users:
                del self._turns[key]


@dataclass(eq=False)
class _Turn:
    """A chat's one request in flight; callback answers are handed it before the other requests waiting."""

    busy: bool = False
    users: int = 0  # requests holding or waiting for it: forgotten at none
    _urgent: deque[asyncio.Future[None]] = field(default_factory=deque)
    _others: deque[asyncio.Future[None]] = field(default_factory=deque)

    async def take(self, *, urgent: bool = False) -> None:
        if not self.busy:
            self.busy = True
            return
        waiter = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._others
        queue.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.give()  # handed the turn as it was given up waiting: pass it on
            else:
                with contextlib.suppress(ValueError):
                    queue.remove(waiter)
            raise

    def give(self) -> None:
        for queue in (self._urgent, self._others):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # handed over: still busy
                    return
        self.busy = False


async def _outside_window(windows: RetryAfterWindows, method: TelegramMethod[Any], chat: ChatKey) -> None:
    """Waits for the chat's window if the caller's patience allows, else refuses as Telegram would."""
    await windows.learn(chat)
    while (remaining := windows.until(chat) - windows.clock()) > 0:
        if remaining > current_patience():
            seconds = math.ceil(remaining)
            raise TelegramRetryAfter(
                method, f"Too Many Requests: retry after {seconds} (not sent: inside a window)", seconds
            )
        await asyncio.sleep(remaining)  # then look again: another 429 may have extended it


async def outside_window(bot: Bot, method: TelegramMethod[Any]) -> None:
    """What `KeepOutOfWindows` does before a request, done beforehand: a caller that times its requests
    (`RetryHandlerCalls`) waits here, so that a window's wait is not taken for a request that hangs."""
    windows = windows_of(bot)
    if windows is not None and not isinstance(method, NOT_LIMITED):
        await _outside_window(windows, method, chat_of(method))


def windows_of(bot: Bot) -> RetryAfterWindows | None:
    """The windows kept by this bot's session, if it keeps any (bot/runtime/app.py installs them)."""
    for middleware in bot.session.middleware:
        if isinstance(middleware, KeepOutOfWindows):
            return middleware.windows
    return None
