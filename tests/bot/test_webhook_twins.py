"""Two webhook instances behind one URL, on one database: Telegram delivering an update to both at nearly the
same moment (a redelivery racing the first attempt) gets it handled by one of them, once."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update
from aiohttp import web
from sqlalchemy import event, update
from sqlalchemy.exc import OperationalError

from bot.pipeline.i18n import build_i18n
from bot.pipeline.inbox import HandleOnce
from bot.runtime.app import build_bot, build_dispatcher
from bot.runtime.webhook import build_webhook_app, webhook_secret
from portcrm.i18n import gettext_for
from portcrm.messaging import inbox
from portcrm.models import ReceivedUpdate
from portcrm.models.base import utcnow
from portcrm.settings import Settings
from portcrm.storage.db import Database
from sandbox import BotAPISandbox
from tests.faults.support import received

TOKEN = "7000007:PORTCRM-webhook-twins"
USER = 9871
en = gettext_for("en")
GUARD = 30.0  # seconds before a test that waits for an event that never comes fails instead of hanging


class HoldTaken(BaseMiddleware):
    """Placed right after `HandleOnce`: holds one update's first delivery there, taken for handling but not
    handled yet, until the test releases it."""

    def __init__(self, update_id: int, *, then: Exception | None = None) -> None:
        self.update_id = update_id
        self.taken = asyncio.Event()
        self.release = asyncio.Event()
        self.then = then  # raised when released, as the handler failing

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update) and event.update_id == self.update_id and not self.taken.is_set():
            self.taken.set()
            await self.release.wait()
            if self.then is not None:
                raise self.then
        return await handler(event, data)

    def install(self, dispatcher: Dispatcher) -> None:
        middlewares = dispatcher.update.outer_middleware._middlewares
        middlewares.insert(middlewares.index(_handle_once(dispatcher)) + 1, self)


def _handle_once(dispatcher: Dispatcher) -> HandleOnce:
    [found] = [m for m in dispatcher.update.outer_middleware._middlewares if isinstance(m, HandleOnce)]
    return found


@dataclass
class Instance:
    dispatcher: Dispatcher
    db: Database
    url: str
    secret: str
    marks: list[str] = field(default_factory=list)  # the statements that marked updates handled
    renewed: asyncio.Event = field(default_factory=asyncio.Event)  # set by each renewal of a claim

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
            if statement.startswith("UPDATE received_updates SET claimed_until"):
                instance.renewed.set()

        event.listen(db.engine.sync_engine, "before_cursor_execute", count_marks)
        yield instance
    finally:
        await runner.cleanup()
        await dispatcher.storage.close()
        await bot.session.close()
        await db.dispose()


@contextlib.asynccontextmanager
async def telegram() -> AsyncIterator[BotAPISandbox]:
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(TOKEN)
        sandbox.add_user(USER, "Twin", language_code="en")
        sandbox.state.bots[TOKEN].started.add(USER)
        yield sandbox


@contextlib.asynccontextmanager
async def twins(database_url: str) -> AsyncIterator[tuple[BotAPISandbox, Instance, Instance]]:
    async with (
        telegram() as sandbox,
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


async def test_an_update_whose_instance_died_holding_it_is_handled_by_a_redelivery_once_the_claim_lapses(
    database_url: str,
) -> None:
    async with telegram() as sandbox, webhook_instance(sandbox, database_url) as survivor:
        async with survivor.db.session() as session:  # taken by an instance that was then killed
            assert await inbox.claim(session, 402, _update(402), by="killed:1") == 1
        assert await survivor.post(_update(402)) == 500, "its claim is live: Telegram will deliver it again"
        assert _texts(sandbox) == []

        async with survivor.db.session() as session:  # the lease passes (no waiting in a test)
            lapsed = utcnow() - dt.timedelta(seconds=1)
            await session.execute(
                update(ReceivedUpdate).where(ReceivedUpdate.update_id == 402).values(claimed_until=lapsed)
            )
            await session.commit()
        assert await survivor.post(_update(402)) == 200
        [reply] = _texts(sandbox)
        assert en("/services") in reply
        row = await received(survivor.db, 402)
        assert (row.attempts, row.handled_at is not None) == (2, True), "the dead one's try counted"
        assert row.claimed_by == _handle_once(survivor.dispatcher).instance


async def test_a_press_whose_instance_died_holding_it_is_answered_in_time_by_the_one_delivered_to(
    database_url: str,
) -> None:
    """Its update waits for the dead one's claim to lapse; its button must not spin past Telegram's 15 s."""
    query_id = "held-by-the-dead"
    press = {
        "update_id": 404,
        "callback_query": {
            "id": query_id,
            "from": {"id": USER, "is_bot": False, "first_name": "Twin", "language_code": "en"},
            "chat_instance": "1",
            "data": "no-such-button",
        },
    }
    async with telegram() as sandbox, webhook_instance(sandbox, database_url) as survivor:
        bot = sandbox.state.bots[TOKEN]
        bot.open_callbacks[query_id], bot.callback_chats[query_id] = sandbox.state.clock(), USER
        async with survivor.db.session() as session:  # taken by an instance that was then killed
            assert await inbox.claim(session, 404, press, by="killed:2") == 1
        assert await survivor.post(press) == 500, "its claim is live: Telegram will deliver it again"

        answer = await sandbox.wait_for_answer(press, timeout=GUARD)
        assert answer.text is None, "the spinner stopped; the handler runs once the claim lapses"
        assert await survivor.post(press) == 500
        assert len(sandbox.calls_to("answerCallbackQuery")) == 1, "answered once, however often delivered"


async def test_an_update_claimed_elsewhere_is_left_for_telegram_in_one_line_of_log(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A normal case for several instances, not a fault: no traceback, no error."""
    async with telegram() as sandbox, webhook_instance(sandbox, database_url) as instance:
        async with instance.db.session() as session:
            assert await inbox.claim(session, 403, _update(403), by="elsewhere:7") == 1
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert await instance.post(_update(403)) == 500

        assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
        [line] = [
            r.getMessage() for r in caplog.records if r.name.startswith("bot.") and "403" in r.getMessage()
        ]
        assert "claimed by elsewhere:7" in line
        assert _texts(sandbox) == []


async def test_a_claim_is_renewed_while_its_handler_runs_and_released_for_a_redelivery_when_it_fails(
    database_url: str,
) -> None:
    gone = OperationalError("SELECT 1", {}, Exception("the database went away"))
    async with telegram() as sandbox, webhook_instance(sandbox, database_url) as instance:
        _handle_once(instance.dispatcher).lease = dt.timedelta(seconds=0.3)  # renewed every 0.1 s
        hold = HoldTaken(403, then=gone)
        hold.install(instance.dispatcher)
        async with asyncio.timeout(GUARD):
            answer = asyncio.create_task(instance.post(_update(403)))
            await hold.taken.wait()
            taken = (await received(instance.db, 403)).claimed_until
            for _ in range(2):  # once the second renewal starts, the first is committed
                instance.renewed.clear()
                await instance.renewed.wait()
            renewed = (await received(instance.db, 403)).claimed_until
            hold.release.set()  # and the handler fails on the database, having committed nothing
            failed = await answer
            assert failed == 500, "the renewals are not the handler's writes: it may be tried again"
            assert _texts(sandbox) == [], "no apology: Telegram will deliver it again"
            assert await instance.post(_update(403)) == 200, "released: taken at once by the redelivery"
        assert taken is not None
        assert renewed is not None
        assert renewed > taken
        [reply] = _texts(sandbox)
        assert en("/services") in reply
        row = await received(instance.db, 403)
        assert (row.attempts, row.handled_at is not None) == (2, True)
