"""Two webhook instances behind one URL, on one database: Telegram delivering an update to both at nearly the
same moment (a redelivery racing the first attempt) gets it handled by one of them, once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update
from aiohttp import web
from sqlalchemy import event

from bot.pipeline.i18n import build_i18n
from bot.pipeline.inbox import HandleOnce
from bot.runtime.app import build_bot, build_dispatcher
from bot.runtime.webhook import build_webhook_app, webhook_secret
from portcrm.i18n import gettext_for
from portcrm.settings import Settings
from portcrm.storage.db import Database
from sandbox import BotAPISandbox
from tests.faults.support import received

TOKEN = "7000007:PORTCRM-webhook-twins"
USER = 9871
en = gettext_for("en")
GUARD = 30.0  # seconds before a test that waits for an event that never comes fails instead of hanging


class HoldTaken(BaseMiddleware):
    """Placed right after `HandleOnce`: holds one update there, taken for handling but not handled yet, until
    the test releases it."""

    def __init__(self, update_id: int) -> None:
        self.update_id = update_id
        self.taken = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update) and event.update_id == self.update_id:
            self.taken.set()
            await self.release.wait()
        return await handler(event, data)

    def install(self, dispatcher: Dispatcher) -> None:
        middlewares = dispatcher.update.outer_middleware._middlewares
        [index] = [i for i, middleware in enumerate(middlewares) if isinstance(middleware, HandleOnce)]
        middlewares.insert(index + 1, self)


@dataclass
class Instance:
    dispatcher: Dispatcher
    db: Database
    url: str
    secret: str
    marks: list[str] = field(default_factory=list)  # the statements that marked updates handled

    async def post(self, update: dict[str, Any]) -> int:
        """Telegram's POST of an update; the status of the answer."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret}
        async with (
            aiohttp.ClientSession() as client,
            client.post(self.url, json=update, headers=headers) as answer,
        ):
            return answer.status


@contextlib.asynccontextmanager
async def webhook_instance(sandbox: BotAPISandbox, database_url: str) -> AsyncIterator[Instance]:
    """One instance as `portcrm run --webhook` builds it: its own bot, dispatcher, engine and server."""
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=database_url,
        telegram_api_url=sandbox.base_url,
        run_scheduler=False,
        user_rate_limit=0,
    )
    db = Database(database_url)
    bot = build_bot(settings)
    dispatcher = build_dispatcher(db, settings, build_i18n(settings))
    secret = webhook_secret(settings)
    runner = web.AppRunner(build_webhook_app(dispatcher, bot, db, path="/hook", secret=secret))
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        instance = Instance(dispatcher, db, f"http://127.0.0.1:{runner.addresses[0][1]}/hook", secret)

        def count_marks(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            if statement.startswith("UPDATE received_updates SET handled_at"):
                instance.marks.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", count_marks)
        yield instance
    finally:
        await runner.cleanup()
        await dispatcher.storage.close()
        await bot.session.close()
        await db.dispose()


@contextlib.asynccontextmanager
async def twins(database_url: str) -> AsyncIterator[tuple[BotAPISandbox, Instance, Instance]]:
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(TOKEN)
        sandbox.add_user(USER, "Twin", language_code="en")
        sandbox.state.bots[TOKEN].started.add(USER)
        async with (
            webhook_instance(sandbox, database_url) as first,
            webhook_instance(sandbox, database_url) as second,
        ):
            yield sandbox, first, second


def _update(update_id: int, text: str = "/help") -> dict[str, Any]:
    person = {"id": USER, "is_bot": False, "first_name": "Twin", "language_code": "en"}
    chat = {"id": USER, "type": "private", "first_name": "Twin"}
    message = {"message_id": update_id, "date": 1_700_000_000, "chat": chat, "from": person, "text": text}
    return {"update_id": update_id, "message": message}


def _texts(sandbox: BotAPISandbox) -> list[str]:
    return [message.text or "" for message in sandbox.messages(USER, TOKEN)]


async def test_an_update_redelivered_to_a_second_instance_while_the_first_handles_it_is_answered_once(
    database_url: str,
) -> None:
    async with twins(database_url) as (sandbox, first, second), asyncio.timeout(GUARD):
        hold = HoldTaken(401)
        hold.install(first.dispatcher)
        first_answer = asyncio.create_task(first.post(_update(401)))
        await hold.taken.wait()  # the first instance took the update and is about to handle it
        redelivered = await second.post(_update(401))  # Telegram's redelivery reaches the other one
        hold.release.set()
        answered = await first_answer
        statuses = [answered, redelivered]
        again = await second.post(_update(401))  # Telegram's next try, after the second's answer

        texts = _texts(sandbox)
        assert len(texts) == 1, f"one answer reaches the user, not {len(texts)}"
        assert en("/services") in texts[0]
        assert statuses[0] == 200
        assert not 200 <= statuses[1] < 300, "left for Telegram: the first might still have failed"
        assert again == 200, "the next try finds it handled"
        assert len(first.marks) + len(second.marks) == 1, "marked handled once"
        row = await received(first.db, 401)
        assert (row.attempts, row.handled_at is not None) == (1, True)
