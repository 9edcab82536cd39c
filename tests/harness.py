"""The real bot, with its real HTTP client, polling the local Bot API sandbox over a real database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from sqlalchemy import func, select

from bot.pipeline.i18n import build_i18n
from bot.runtime.app import build_bot, build_dispatcher
from portcrm.messaging import inbox
from portcrm.models import ReceivedUpdate
from portcrm.settings import Settings
from portcrm.storage.db import Database
from sandbox import ApiCall, BotAPISandbox, SandboxUser, SentMessage

TOKEN = "7000001:PORTCRM-test-token"


@dataclass
class RunningBot:
    sandbox: BotAPISandbox
    db: Database
    settings: Settings
    bot: Bot
    dispatcher: Dispatcher

    def user(self, user_id: int, first_name: str = "Test", language_code: str | None = "en") -> SandboxUser:
        return self.sandbox.add_user(user_id, first_name, language_code=language_code)

    async def say(self, user: SandboxUser, text: str) -> SentMessage:
        """Send a message as the user and return the bot's first reply to it."""
        update = self.sandbox.send_text(TOKEN, user, text)
        return await self.sandbox.wait_for_reply(user, after=update, token=TOKEN)

    async def say_and_settle(self, user: SandboxUser, text: str) -> list[SentMessage]:
        """Send a message and return every bot message in that chat once its handler is done."""
        mark = self.sandbox.mark()
        update = self.sandbox.send_text(TOKEN, user, text)
        await self.handled(update)
        await self.sandbox.wait_idle(quiet=0.1)  # anything the outbox sends at once
        return self.sandbox.replies(user, mark, token=TOKEN)

    async def settled(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - a test deadline
        """Until every update sent so far is handled, then until the outbox has sent what it had at once.

        Waiting for a quiet moment alone misreads a busy machine's pause between a handler's messages.
        """
        async with asyncio.timeout(timeout):
            while True:
                waiting = [u["update_id"] for u in self.sandbox.state.bots[TOKEN].updates]
                async with self.db.session() as session:
                    unhandled = await inbox.unhandled(session)
                    done = (
                        await session.scalar(
                            select(func.count())
                            .select_from(ReceivedUpdate)
                            .where(
                                ReceivedUpdate.update_id.in_(waiting), ReceivedUpdate.handled_at.is_not(None)
                            )
                        )
                        if waiting
                        else 0
                    )
                    await session.commit()
                if not unhandled and done == len(waiting):
                    break
                await asyncio.sleep(0.02)
        await self.sandbox.wait_idle(quiet=0.1)

    async def handled(self, update: dict[str, Any], timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Until the bot has marked the update handled: a slow machine's pauses are not silence."""
        async with asyncio.timeout(timeout):
            while True:
                async with self.db.session() as session:
                    row = await session.get(ReceivedUpdate, update["update_id"])
                    done = row is not None and row.handled_at is not None
                    await session.commit()
                if done:
                    return
                await asyncio.sleep(0.02)

    async def press(self, user: SandboxUser, message: SentMessage, button: str | int) -> SentMessage:
        update = self.sandbox.press(TOKEN, user, message, button)
        return await self.sandbox.wait_for_reply(user, after=update, token=TOKEN)


def _benign(error: str | None) -> bool:
    benign = (
        "chat not found",
        "message is not modified",
        "there is no text in the message to edit",
        "message can't be edited",
    )
    return any(reason in (error or "") for reason in benign)


def _after_a_lost_answer(call: ApiCall, sandbox: BotAPISandbox) -> bool:
    """A button's answer tried again after a try whose reply was lost (a dropped connection, a 5xx): that
    try may have landed, and then Telegram refuses the next one as too old (bot/telegram/callback_answers.py).
    """
    if call.method.lower() != "answercallbackquery":
        return False
    query = call.params.get("callback_query_id")
    earlier = [
        c for c in sandbox.calls_to("answerCallbackQuery") if c.params.get("callback_query_id") == query
    ]
    before = earlier[: next(n for n, c in enumerate(earlier) if c is call)]
    return any(c.injected and (c.dropped or (c.status or 0) >= 500) for c in before)


@contextlib.asynccontextmanager
async def running_bot(
    database_url: str,
    *,
    default_locale: str = "zh_CN",
    before_start: Callable[[BotAPISandbox], None] | None = None,
    with_dispatcher: Callable[[Dispatcher], None] | None = None,
    **settings: Any,
) -> AsyncIterator[RunningBot]:
    """The bot polling a fresh sandbox; `before_start` sets up the sandbox's world before the bot starts,
    `with_dispatcher` adds to the dispatcher before it starts (a test's middleware)."""
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(TOKEN, username="portcrm_test_bot", first_name="PortCRM")
        if before_start is not None:
            before_start(sandbox)
        config = Settings(
            _env_file=None,  # never a developer's .env in tests
            bot_token=TOKEN,
            database_url=database_url,
            telegram_api_url=sandbox.base_url,
            default_locale=default_locale,
            run_scheduler=False,  # tests run jobs explicitly, on a clock they choose
            # tests type faster than people (test_throttle sets a limit), and wait for the outbox's pushes:
            # it looks for them every 0.05 s here, as in tests/sender_support.py, not every half second
            **{"user_rate_limit": 0, "outbox_poll_seconds": 0.05, **settings},
        )
        db = Database(database_url)
        bot = build_bot(config)
        dispatcher = build_dispatcher(db, config, build_i18n(config), polling=True)
        if with_dispatcher is not None:
            with_dispatcher(dispatcher)
        started = asyncio.Event()
        dispatcher.startup.register(started.set)
        polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1))
        try:
            await asyncio.wait_for(started.wait(), timeout=30)
            yield RunningBot(sandbox, db, config, bot, dispatcher)
            # These refusals are the world, not bugs: someone who never opened the bot ("chat not found",
            # the sender parks their notifications), a button pressed twice at once ("message is not
            # modified", see bot/telegram/unchanged_edits.py) and a button payload forged on a photo or on a
            # message with a reply keyboard ("there is no text in the message to edit", "message can't be
            # edited", see bot/telegram/textless_edits.py). Every other 400 is a message Telegram would
            # refuse.
            broken = [
                call
                for call in sandbox.rejected
                if call.status == 400 and not _benign(call.error) and not _after_a_lost_answer(call, sandbox)
            ]
            assert broken == [], f"the bot broke a Telegram limit: {broken}"
            # Telegram holds every request inside a retry_after window against the bot, whoever sent it
            assert sandbox.violations == [], f"sent inside a retry_after window: {sandbox.violations}"
        finally:
            with contextlib.suppress(RuntimeError):
                await dispatcher.stop_polling()
            await polling
            await db.dispose()
