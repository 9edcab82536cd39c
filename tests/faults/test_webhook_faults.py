"""Webhook mode: an update the bot could not write down or handle answers 500, so Telegram sends it again;
the redelivery is handled once, and an update that keeps failing is apologised for and answered 200."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiogram import Dispatcher
from aiohttp import web

import portcrm.storage.db
from bot.pipeline.i18n import build_i18n
from bot.runtime.app import build_bot, build_dispatcher
from bot.runtime.webhook import build_webhook_app, webhook_secret
from portcrm.i18n import gettext_for
from portcrm.messaging import inbox
from portcrm.services.tracking.shipments import ShipmentNotFound
from portcrm.settings import Settings
from portcrm.storage.db import Database
from sandbox import BotAPISandbox
from tests.factories import make_contact, make_customer
from tests.faults.outage import (
    OUTAGE_BUSY_TIMEOUT_MS,
    GoneDuringHandler,
    Outage,
    outage_for,
)
from tests.faults.support import received

TOKEN = "7000006:PORTCRM-webhook-faults"
USER = 9861
en = gettext_for("en")
APOLOGY = "Sorry, something went wrong on our side. Please try again later. Incident: {incident}"
SORRY = en(APOLOGY).split("{")[0]
TRACK = "/track OOLU2741538960"  # a handler that reads the database (/help does not)


@dataclass
class Instance:
    sandbox: BotAPISandbox
    dispatcher: Dispatcher
    db: Database
    url: str
    secret: str

    async def post(self, update: dict[str, Any]) -> int:
        """Telegram's POST of an update; its answer's status."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret}
        async with (
            aiohttp.ClientSession() as client,
            client.post(self.url, json=update, headers=headers) as answer,
        ):
            return answer.status

    def texts(self) -> list[str]:
        return [m.text or "" for m in self.sandbox.messages(USER, TOKEN)]


@pytest.fixture
async def outage(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Outage]:
    monkeypatch.setattr(portcrm.storage.db, "SQLITE_BUSY_TIMEOUT_MS", OUTAGE_BUSY_TIMEOUT_MS)
    async with outage_for(database_url) as outage:
        yield outage


@pytest.fixture
async def instance(outage: Outage) -> AsyncIterator[Instance]:
    """One webhook instance (the real aiohttp server) whose database can go away."""
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(TOKEN)
        sandbox.add_user(USER, "Hook", language_code="en")
        sandbox.state.bots[TOKEN].started.add(USER)
        settings = Settings(
            _env_file=None,
            bot_token=TOKEN,
            database_url=outage.url,
            telegram_api_url=sandbox.base_url,
            run_scheduler=False,
            user_rate_limit=0,
        )
        db = Database(outage.url)
        async with db.session() as session:  # a customer's contact, for whom /track reads the database
            await make_contact(session, await make_customer(session), telegram_user_id=USER)
            await session.commit()
        bot = build_bot(settings)
        dispatcher = build_dispatcher(db, settings, build_i18n(settings))
        secret = webhook_secret(settings)
        runner = web.AppRunner(build_webhook_app(dispatcher, bot, db, path="/hook", secret=secret))
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            yield Instance(sandbox, dispatcher, db, f"http://127.0.0.1:{port}/hook", secret)
        finally:
            await runner.cleanup()
            await dispatcher.storage.close()
            await bot.session.close()
            await db.dispose()


def _update(update_id: int, text: str = "/help") -> dict[str, Any]:
    person = {"id": USER, "is_bot": False, "first_name": "Hook", "language_code": "en"}
    chat = {"id": USER, "type": "private", "first_name": "Hook"}
    message = {"message_id": update_id, "date": 1_700_000_000, "chat": chat, "from": person, "text": text}
    return {"update_id": update_id, "message": message}


async def test_an_update_that_cannot_be_written_answers_500_and_its_redelivery_is_handled_once(
    instance: Instance, outage: Outage
) -> None:
    await outage.begin()
    try:
        assert await instance.post(_update(301)) == 500
    finally:
        await outage.end()
    assert instance.texts() == []
    assert await instance.post(_update(301)) == 200
    assert await instance.post(_update(301)) == 200  # the 200 was lost on its way: delivered once more
    await instance.sandbox.wait_idle(quiet=0.2)
    [reply] = instance.texts()
    assert en("/services") in reply
    row = await received(instance.db, 301)
    assert (row.attempts, row.handled_at is not None) == (1, True)


async def test_a_handler_the_database_failed_answers_500_and_the_redelivery_is_handled(
    instance: Instance, outage: Outage
) -> None:
    instance.dispatcher.update.outer_middleware(GoneDuringHandler(outage, times=1))
    assert await instance.post(_update(311, TRACK)) == 500
    assert instance.texts() == [], "no apology: Telegram will deliver it again"
    assert await instance.post(_update(311, TRACK)) == 200
    await instance.sandbox.wait_idle(quiet=0.2)
    [reply] = instance.texts()
    assert reply == en(ShipmentNotFound.message)
    row = await received(instance.db, 311)
    assert (row.attempts, row.handled_at is not None) == (2, True)


async def test_an_update_failing_every_time_is_apologised_for_after_max_attempts_and_answered_200(
    instance: Instance, outage: Outage
) -> None:
    instance.dispatcher.update.outer_middleware(GoneDuringHandler(outage, times=inbox.MAX_ATTEMPTS))
    statuses = [await instance.post(_update(321, TRACK)) for _ in range(inbox.MAX_ATTEMPTS + 1)]
    assert statuses == [500] * (inbox.MAX_ATTEMPTS - 1) + [200, 200]
    await instance.sandbox.wait_idle(quiet=0.2)
    [apology] = instance.texts()
    assert apology.startswith(SORRY)
    row = await received(instance.db, 321)
    assert (row.attempts, row.handled_at is not None) == (inbox.MAX_ATTEMPTS, True)


async def test_a_handler_bug_is_apologised_for_at_once_and_answered_200(instance: Instance) -> None:
    """A failure that would fail the same way again is not worth Telegram's redelivery."""
    instance.sandbox.faults.add("sendMessage", 400, chat_id=USER)  # Telegram refuses the reply
    assert await instance.post(_update(331)) == 200
    await instance.sandbox.wait_idle(quiet=0.2)
    [apology] = instance.texts()
    assert apology.startswith(SORRY)
    assert (await received(instance.db, 331)).attempts == 1
