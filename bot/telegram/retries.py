"""Faults that pass: a handler's Bot API call is retried, and an update failing on one is tried again.

aiogram retries nothing (it raises `TelegramRetryAfter`, `TelegramServerError`, `TelegramNetworkError`).
While an update is being handled, `RetryHandlerCalls` waits out a 429 as told and retries a 5xx (Telegram's
502 page included, see session.py), a network error or a call that took too long a bounded number of times
with back-off. Only the HTTP call is repeated, never the handler, so a handler's database writes are not
redone. A call Telegram performed but whose answer was lost may then be performed twice (a message shown
twice), which beats a reply that never comes. A 429's window belongs to the chat, not to this call: the
wait itself is kept by retry_after.py, which holds every path's calls out of it, up to the patience set
here (`max_retry_after`, unless the caller chose another).

Outside handlers the outbox has its own policy (bot/delivery), so calls made there pass through untouched;
so do callback answers, whose tries are callback_answers.py's (in time for the press, whoever answers).
`is_transient` says which failures of a handler may pass when its update is tried again (the database
gone or locked); bot/pipeline/inbox.py tries the update again on those and apologises at once for anything
else.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from sqlalchemy import exc as sa_exc

from bot.telegram.retry_after import current_patience, outside_window, patience
from portcrm.errors import DomainError

log = logging.getLogger(__name__)

# Failures that may pass if the same call is made again: Telegram's 5xx (its 502 page included, see
# session.py), the connection lost or refused, no answer in time. The outbox's are the same.
TRANSIENT = (TelegramServerError, TelegramNetworkError, TimeoutError)

_in_handler: ContextVar[bool] = ContextVar("portcrm_in_handler", default=False)


@contextlib.contextmanager
def handling_update(handling: bool = True) -> Iterator[None]:
    """Marks the Bot API calls made inside as a handler's, for `RetryHandlerCalls`; `False`: tried once."""
    token = _in_handler.set(handling)
    try:
        yield
    finally:
        _in_handler.reset(token)


@functools.cache
def _redis_unreachable() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import ConnectionError, TimeoutError
    except ImportError:  # without the redis extra there is no Redis to lose
        return ()
    return (ConnectionError, TimeoutError)


def is_transient(error: BaseException) -> bool:
    """The database gone, refused or locked: the handler's transaction was rolled back, so trying the update
    again later redoes nothing. Telegram's failures are not among them: by the time one reaches the handler
    `RetryHandlerCalls` has tried, and the handler may have committed its work already. Nor is a refusal
    (`DomainError`): asked again, the service refuses again; its answer is the reason
    (bot/handlers/errors.py)."""
    if isinstance(error, DomainError):
        return False
    if isinstance(error, sa_exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, sa_exc.OperationalError | sa_exc.InterfaceError
        )
    if isinstance(error, TelegramAPIError):
        return False
    if isinstance(error, _redis_unreachable()):  # conversation state and chat locks, when in Redis
        return True
    # no pooled connection came free; connecting refused, reset or timed out (raised by the driver unwrapped)
    return isinstance(error, sa_exc.TimeoutError | OSError)


class RetryHandlerCalls(BaseRequestMiddleware):
    """A Bot API session middleware: a handler's call survives a 429, a 5xx, a lost connection, a hang.

    `attempt_timeout` bounds each try (aiogram's own default is 60 s, and a webhook answer is due within
    about 55 s); `max_retry_after` is the longest 429 wait worth holding a chat's lock for, and the patience
    of a handler's calls with a window already open (retry_after.py) unless the caller set its own.
    """

    def __init__(
        self,
        *,
        attempts: int = 3,
        attempt_timeout: float = 15.0,
        backoff: float = 0.5,
        max_retry_after: float = 10.0,
    ) -> None:
        self.attempts = attempts
        self.attempt_timeout = attempt_timeout
        self.backoff = backoff
        self.max_retry_after = max_retry_after

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        if not _in_handler.get() or isinstance(method, AnswerCallbackQuery):
            return await make_request(bot, method)
        waits = current_patience(self.max_retry_after)
        failures = 0
        while True:
            try:
                with patience(waits):
                    await outside_window(bot, method)  # not part of the attempt's time
                    async with asyncio.timeout(self.attempt_timeout):
                        return await make_request(bot, method)
            except TelegramRetryAfter as error:
                # told how long to wait: worth it unless a user would give up first
                failures += 1
                if error.retry_after > waits or failures >= self.attempts:
                    raise
                delay = float(error.retry_after)
            except TRANSIENT as error:
                failures += 1
                if failures >= self.attempts or isinstance(error, TelegramEntityTooLarge):
                    if isinstance(error, TimeoutError):  # what aiogram raises for its own timeout
                        raise TelegramNetworkError(method, "Request timeout error") from error
                    raise
                delay = self.backoff * 2 ** (failures - 1)
                log.warning(
                    "%s failed (%s), try %s of %s in %.1f s",
                    method.__api_method__,
                    type(error).__name__,
                    failures + 1,
                    self.attempts,
                    delay,
                )
            await asyncio.sleep(delay)
