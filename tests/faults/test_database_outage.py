"""The database unreachable (PostgreSQL restarted) or locked (SQLite) while users write: updates wait for
it or are tried again, and once it is back each is handled once and each complaint stored once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

import portcrm.storage.db
from bot.pipeline.inbox import HandleOnce
from portcrm.i18n import gettext_for
from portcrm.messaging import inbox
from portcrm.services.tracking.shipments import ShipmentNotFound
from tests.bot.test_complaints import _company, _to_step
from tests.faults.outage import (
    OUTAGE_BUSY_TIMEOUT_MS,
    GoneDuringHandler,
    Outage,
    outage_for,
)
from tests.faults.support import complaints, errors, quick_retries, received
from tests.harness import TOKEN, RunningBot, running_bot

en = gettext_for("en")
SUBMITTED = "Complaint {ticket} submitted."
APOLOGY = "Sorry, something went wrong on our side. Please try again later. Incident: {incident}"


@pytest.fixture
async def outage(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Outage]:
    monkeypatch.setattr(portcrm.storage.db, "SQLITE_BUSY_TIMEOUT_MS", OUTAGE_BUSY_TIMEOUT_MS)
    async with outage_for(database_url) as outage:
        yield outage


async def _until(condition: Callable[[], bool], timeout: float = 30.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while True:
            if condition():
                return
            await asyncio.sleep(0.05)


def _fetched(app: RunningBot, update: dict[str, Any]) -> int:
    """How many times getUpdates has handed this update to the bot."""
    return sum(
        1
        for call in app.sandbox.calls_to("getUpdates")
        if call.ok and any(u["update_id"] == update["update_id"] for u in call.result or [])
    )


async def _submitted_once(app: RunningBot, user_id: int, press: dict[str, Any]) -> None:
    [complaint] = await complaints(app.db)
    # answered in time: with the toast, or, when the database held the handler past the answer's deadline
    # (bot/telegram/callback_answers.py), with an empty answer; the confirmation is the message below
    answer = await app.sandbox.wait_for_answer(press)
    assert answer.text in (en(SUBMITTED).format(ticket=complaint.ticket), None)
    assert answer.after < 15
    thanks = [m for m in app.sandbox.messages(user_id, TOKEN) if complaint.ticket in (m.text or "")]
    assert len(thanks) == 1


async def test_updates_sent_while_the_database_is_down_are_fetched_again_and_handled_once(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(outage.url) as app:
        quick_retries(app)
        await _company(app, 8801)
        user, other = app.user(8801, language_code="en"), app.user(8802, language_code="en")
        confirm = await _to_step(app, user, "confirm")
        await outage.begin()
        try:
            press = app.sandbox.press(TOKEN, user, confirm, en("Submit"))
            question = app.sandbox.send_text(TOKEN, other, "/help")
            # the batch cannot be written down, so getUpdates fails and does not confirm it: it comes again
            await _until(lambda: _fetched(app, question) >= 2)
            assert app.sandbox.replies(user, press, token=TOKEN) == []
            assert app.sandbox.messages(other.id, TOKEN) == []
        finally:
            await outage.end()
        await app.handled(press, timeout=60)
        await app.handled(question, timeout=60)

        await _submitted_once(app, user.id, press)
        [reply] = app.sandbox.messages(other.id, TOKEN)
        assert en("/services") in (reply.text or "")
        for update in (press, question):
            assert (await received(app.db, update["update_id"])).attempts == 1
        assert [m for m in errors(caplog) if "incident" in m] == [], "no apology: nothing failed for good"


class CutBeforeHandler(BaseMiddleware):
    """Takes the database away as the next callback query reaches its handler (after identity)."""

    def __init__(self, outage: Outage) -> None:
        self.outage = outage
        self.armed = True

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if self.armed and isinstance(event, Update) and event.callback_query is not None:
            self.armed = False
            await self.outage.begin()
        return await handler(event, data)


async def test_a_submit_cut_off_by_the_database_going_away_is_tried_again_when_it_returns(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(outage.url) as app:
        quick_retries(app)
        await _company(app, 8811)
        user = app.user(8811, language_code="en")
        confirm = await _to_step(app, user, "confirm")
        cut = CutBeforeHandler(outage)
        app.dispatcher.update.outer_middleware(cut)
        press = app.sandbox.press(TOKEN, user, confirm, en("Submit"))
        try:
            await _until(lambda: any("waits for the database" in r.getMessage() for r in caplog.records))
            assert app.sandbox.replies(user, press, token=TOKEN) == []
        finally:
            await outage.end()
        await app.handled(press, timeout=60)

        assert not cut.armed
        await _submitted_once(app, user.id, press)
        assert (await received(app.db, press["update_id"])).attempts == 2
        assert [m for m in errors(caplog) if "incident" in m] == [], "tried again, not apologised for"


async def test_an_update_the_database_fails_every_time_is_apologised_for_after_max_attempts(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(outage.url) as app:
        await _company(app, 8821)
        user = app.user(8821, language_code="en")
        await app.say(user, "/start")
        app.dispatcher.update.outer_middleware(GoneDuringHandler(outage, times=inbox.MAX_ATTEMPTS))
        update = app.sandbox.send_text(TOKEN, user, "/track OOLU0000000000")
        # app.handled would read the database while it is away: the sandbox tells without it
        await _until(lambda: bool(app.sandbox.replies(user, update, token=TOKEN)), timeout=60)
        await app.handled(update)

        [apology] = app.sandbox.replies(user, update, token=TOKEN)
        assert (apology.text or "").startswith(en(APOLOGY).split("{")[0])
        assert (await received(app.db, update["update_id"])).attempts == inbox.MAX_ATTEMPTS
        assert (await app.say(user, "/track OOLU0000000000")).text == en(ShipmentNotFound.message)


class GoneAfterHandler(BaseMiddleware):
    """Placed right inside `HandleOnce`: the database goes away once the next update's handler is done,
    before the update is marked handled."""

    def __init__(self, outage: Outage) -> None:
        self.outage = outage
        self.armed = True

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        if self.armed:
            self.armed = False
            await self.outage.begin()
        return result


def _inside_handle_once(app: RunningBot, middleware: BaseMiddleware) -> None:
    outer = app.dispatcher.update.outer_middleware
    after = list(outer[[isinstance(m, HandleOnce) for m in outer].index(True) + 1 :])
    for moved in after:
        outer.unregister(moved)
    for m in (middleware, *after):
        outer.register(m)


async def test_an_update_handled_as_the_database_goes_away_is_marked_when_it_returns_not_redone(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(outage.url) as app:
        await _company(app, 8831)
        user = app.user(8831, language_code="en")
        confirm = await _to_step(app, user, "confirm")
        gone = GoneAfterHandler(outage)
        _inside_handle_once(app, gone)
        press = app.sandbox.press(TOKEN, user, confirm, en("Submit"))
        try:
            await _until(lambda: any("waits for the database" in r.getMessage() for r in caplog.records))
        finally:
            await outage.end()
        await app.handled(press, timeout=60)

        assert not gone.armed
        await _submitted_once(app, user.id, press)
        assert (await received(app.db, press["update_id"])).attempts == 1
        assert [m for m in errors(caplog) if "incident" in m] == []
