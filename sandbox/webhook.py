"""Webhook delivery: POST each update to the bot's URL until it answers 2xx, like Telegram.

Telegram sends ``X-Telegram-Bot-Api-Secret-Token`` and redelivers on any non-2xx answer, so a
webhook that fails loses nothing; an answer body that names a ``method`` is executed as a call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from .params import Params
from .state import BotState, SandboxState

logger = logging.getLogger(__name__)

Executor = Callable[[BotState, str, Params], Awaitable[Any]]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


class WebhookDelivery:
    """One delivery task per bot with a webhook; started and stopped as the webhook changes."""

    def __init__(self, state: SandboxState, execute: Executor, *, retry_delay: float = 0.5) -> None:
        self.state = state
        self.execute = execute
        self.retry_delay = retry_delay
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._session: aiohttp.ClientSession | None = None

    def changed(self, bot: BotState) -> None:
        """Called after setWebhook: make sure a delivery task runs while a webhook is set."""
        task = self._tasks.get(bot.bot.token)
        if bot.webhook is not None and (task is None or task.done()):
            self._tasks[bot.bot.token] = asyncio.get_running_loop().create_task(self._run(bot))

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self, bot: BotState) -> None:
        while bot.webhook is not None and not self.state.closing:
            pending = await bot.signal.wait_until(self._next(bot), 3600.0)
            if not pending or bot.webhook is None:
                continue
            update = pending[0]
            if await self._post(bot, update):
                with contextlib.suppress(ValueError):
                    bot.updates.remove(update)
                bot.delivered_up_to = max(bot.delivered_up_to, update["update_id"])
                self.state.changed.fire()
            else:
                await asyncio.sleep(self.retry_delay)

    def _next(self, bot: BotState) -> Callable[[], list[dict[str, Any]] | None]:
        def check() -> list[dict[str, Any]] | None:
            if bot.webhook is None or self.state.closing:
                return []
            return bot.pending()[:1] or None

        return check

    async def _post(self, bot: BotState, update: dict[str, Any]) -> bool:
        hook = bot.webhook
        assert hook is not None
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
        try:
            async with self._session.post(
                hook.url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=60)
            ) as response:
                body = await response.read()
                if 200 <= response.status < 300:
                    await self._run_reply(bot, body)
                    return True
                error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"Connection failed: {type(exc).__name__}: {exc}"
        hook.last_error_date = self.state.now()
        hook.last_error_message = error
        logger.info("Webhook delivery of update %s failed: %s", update["update_id"], error)
        return False

    async def _run_reply(self, bot: BotState, body: bytes) -> None:
        """Telegram runs a method given in the webhook's answer; its result is not reported back."""
        try:
            reply = json.loads(body) if body.strip() else None
        except ValueError:
            return
        if isinstance(reply, dict) and isinstance(reply.get("method"), str):
            values = {key: value for key, value in reply.items() if key != "method"}
            await self.execute(bot, reply["method"], Params(values))
