"""Updates are written before they are handled: one a crash cut off is replayed at start-up, once."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import Message, TelegramObject
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.pipeline.inbox import HandledMarks
from bot.runtime.webhook import Listen, serving, webhook_secret
from portcrm.i18n import gettext_for
from portcrm.messaging import inbox
from portcrm.models import ReceivedUpdate
from portcrm.models.base import utcnow
from portcrm.settings import Settings
from portcrm.storage.db import Database
from portcrm.storage.transaction import transaction
from sandbox import BotAPISandbox
from tests.harness import TOKEN, running_bot

USER = 9801


def _help_update(update_id: int, user_id: int = USER) -> dict[str, object]:
    person = {"id": user_id, "is_bot": False, "first_name": "Crash", "language_code": "en"}
    chat = {"id": user_id, "type": "private", "first_name": "Crash"}
    message = {"message_id": 7, "date": 1_700_000_000, "chat": chat, "from": person, "text": "/help"}
    return {"update_id": update_id, "message": message}


def _started(user_id: int) -> Callable[[BotAPISandbox], None]:
    def prepare(sandbox: BotAPISandbox) -> None:
        sandbox.add_user(user_id, "Crash", language_code="en")
        sandbox.state.bots[TOKEN].started.add(user_id)

    return prepare


async def _rows(database_url: str) -> list[ReceivedUpdate]:
    db = Database(database_url)
    async with db.session() as session:
        rows = list(await session.scalars(select(ReceivedUpdate).order_by(ReceivedUpdate.update_id)))
        await session.commit()
    await db.dispose()
    return rows


async def test_an_update_written_but_never_handled_is_replayed_once_at_start_up(database_url: str) -> None:
    db = Database(database_url)
    async with db.session() as session:  # what a crash mid-handler leaves: fetched, written, not handled
        await inbox.record(session, [_help_update(41)])
    await db.dispose()

    async with running_bot(database_url, before_start=_started(USER)) as app:
        await app.settled()
        [reply] = app.sandbox.messages(USER, TOKEN)
        assert gettext_for("en")("/services") in reply.text
    async with running_bot(database_url, before_start=_started(USER)) as app:
        await app.settled()
        assert app.sandbox.messages(USER, TOKEN) == [], "handled once: not replayed again"
    [row] = [row for row in await _rows(database_url) if row.update_id == 41]
    assert (row.attempts, row.handled_at is not None) == (2, True), "the fetch counted as its first try"


class HoldChat(BaseMiddleware):
    """Holds the messages of one chat until released, or until `LIMIT` seconds have passed."""

    LIMIT = 5.0  # below the harness's wait for the bot to start, which the replay is part of

    def __init__(self, chat_id: int) -> None:
        self.chat_id, self.released = chat_id, asyncio.Event()
        self.timed_out = False

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Message) and event.chat.id == self.chat_id:
            try:
                await asyncio.wait_for(self.released.wait(), self.LIMIT)
            except TimeoutError:
                self.timed_out = True
        return await handler(event, data)


async def test_updates_a_crash_cut_off_in_two_chats_are_replayed_side_by_side(database_url: str) -> None:
    """One chat's replay held up (by faults and retries, say) holds neither another chat's nor its press,
    which may have waited while the bot was down and is answered soon."""
    other = USER + 1
    query_id = "replayed-press"
    press = {
        "update_id": 62,
        "callback_query": {
            "id": query_id,
            "from": {"id": other, "is_bot": False, "first_name": "Other", "language_code": "en"},
            "chat_instance": "1",
            "data": "no-such-button",
        },
    }
    db = Database(database_url)
    async with db.session() as session:  # a crash left both fetched, written, not handled
        await inbox.record(session, [_help_update(61), press])
    await db.dispose()
    held = HoldChat(USER)
    watching: list[asyncio.Task[None]] = []

    async def release_once_answered(sandbox: BotAPISandbox) -> None:
        def seen() -> bool | None:
            return any(a.query_id == query_id for a in sandbox.callback_answers) or None

        if await sandbox.state.changed.wait_until(seen, HoldChat.LIMIT) is not None:
            held.released.set()

    def pressed(sandbox: BotAPISandbox) -> None:
        _started(USER)(sandbox)
        _started(other)(sandbox)
        bot = sandbox.state.bots[TOKEN]
        bot.open_callbacks[query_id], bot.callback_chats[query_id] = sandbox.state.clock(), other
        watching.append(asyncio.get_running_loop().create_task(release_once_answered(sandbox)))

    def holding(dispatcher: Dispatcher) -> None:
        dispatcher.message.outer_middleware(held)

    async with running_bot(database_url, before_start=pressed, with_dispatcher=holding) as app:
        await watching[0]
        await app.settled()
        assert not held.timed_out, "the press was answered while the other chat's replay was held up"
        [answer] = app.sandbox.callback_answers
        assert answer.text == gettext_for("en")("This button is no longer valid.")
        assert app.sandbox.messages(USER, TOKEN), "the held chat's update was handled too"


async def test_polling_goes_on_while_a_replay_is_held_up_and_its_update_fetched_again_is_handled_once(
    database_url: str,
) -> None:
    """A crash after the fetch, before the next getUpdates confirmed it: the update is both replayed and
    handed over again by Telegram."""
    other = USER + 2
    cut_off = _help_update(71)
    db = Database(database_url)
    async with db.session() as session:
        await inbox.record(session, [cut_off])
    await db.dispose()
    held = HoldChat(USER)
    newcomer: list[dict[str, object]] = []

    def unconfirmed(sandbox: BotAPISandbox) -> None:
        _started(USER)(sandbox)
        person = sandbox.add_user(other, "Newcomer", language_code="en")
        sandbox.state.bots[TOKEN].started.add(other)
        sandbox.state.bots[TOKEN].updates.append(cut_off)  # never confirmed by the process that crashed
        newcomer.append(sandbox.send_text(TOKEN, person, "/help"))  # sent while the bot was down

    async with running_bot(
        database_url, before_start=unconfirmed, with_dispatcher=lambda d: d.message.outer_middleware(held)
    ) as app:
        await app.sandbox.wait_for_reply(other, after=newcomer[0], token=TOKEN, timeout=HoldChat.LIMIT)
        assert not held.timed_out, "polled and handled while the replay was held up"
        held.released.set()
        await app.settled()
        assert len(app.sandbox.messages(USER, TOKEN)) == 1, "the replayed update handled once"
    [row] = [row for row in await _rows(database_url) if row.update_id == 71]
    assert (row.attempts, row.handled_at is not None) == (2, True)


async def test_a_replayed_press_already_too_old_to_answer_is_not_tried(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Received 20 s before the crash: Telegram would refuse its answer as too old, and the handler, whose
    answer is not sent, goes on without an incident."""
    query_id, age = "old-press", 20.0
    press = {
        "update_id": 63,
        "callback_query": {
            "id": query_id,
            "from": {"id": USER, "is_bot": False, "first_name": "Crash", "language_code": "en"},
            "chat_instance": "1",
            "data": "no-such-button",
        },
    }
    db = Database(database_url)
    async with db.session() as session:
        await inbox.record(session, [press])
        when = utcnow() - dt.timedelta(seconds=age)
        await session.execute(
            update(ReceivedUpdate).where(ReceivedUpdate.update_id == 63).values(received_at=when)
        )
        await session.commit()
    await db.dispose()

    def pressed(sandbox: BotAPISandbox) -> None:
        _started(USER)(sandbox)
        bot = sandbox.state.bots[TOKEN]
        bot.open_callbacks[query_id], bot.callback_chats[query_id] = sandbox.state.clock() - age, USER

    async with running_bot(database_url, before_start=pressed) as app:
        await app.settled()
        assert app.sandbox.calls_to("answerCallbackQuery") == [], "not tried: it could only be refused"
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == [], "no incident"
    [row] = [row for row in await _rows(database_url) if row.update_id == 63]
    assert row.handled_at is not None


async def test_every_polled_update_is_written_and_marked_handled(database_url: str) -> None:
    async with running_bot(database_url) as app:
        user = app.user(9802, language_code="en")
        await app.say(user, "/help")
        await app.say(user, "/services")
    rows = await _rows(database_url)
    assert len(rows) == 2
    assert all(row.handled_at is not None and row.attempts == 1 for row in rows)
    assert [row.payload["message"]["text"] for row in rows] == ["/help", "/services"]


async def test_telegram_delivering_a_webhook_update_again_gets_it_handled_once(database_url: str) -> None:
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(TOKEN)
        _started(USER)(sandbox)
        settings = Settings(
            _env_file=None,
            bot_token=TOKEN,
            database_url=database_url,
            telegram_api_url=sandbox.base_url,
            run_scheduler=False,
        )
        async with serving(settings, "http://127.0.0.1:1/hook", Listen("127.0.0.1", 0)) as port:
            headers = {"X-Telegram-Bot-Api-Secret-Token": webhook_secret(settings)}
            async with aiohttp.ClientSession() as client:
                for _ in range(2):  # the first answer was lost on its way back, so Telegram sends it again
                    url = f"http://127.0.0.1:{port}/hook"
                    async with client.post(url, json=_help_update(77), headers=headers) as answer:
                        assert answer.status == 200
            await sandbox.wait_idle(quiet=0.3)
            assert len(sandbox.messages(USER, TOKEN)) == 1


async def test_an_update_that_keeps_crashing_the_bot_is_given_up_after_max_attempts(
    database_url: str,
) -> None:
    db = Database(database_url)
    async with db.session() as session:
        await inbox.record(session, [_help_update(51)])
    for _ in range(inbox.MAX_ATTEMPTS - 1):  # the fetch took it first; each start again, then died
        async with db.session() as session:
            assert await inbox.begin(session, 51, _help_update(51))
    async with db.session() as session:
        assert not await inbox.begin(session, 51, _help_update(51))
    async with db.session() as session:
        assert await inbox.unhandled(session) == []
    await db.dispose()


async def test_marks_that_come_together_commit_together_and_every_one_lands(database_url: str) -> None:
    db = Database(database_url)
    async with db.session() as session:
        await inbox.record(session, [_help_update(n) for n in range(100, 120)])
    marks, commits = HandledMarks(db), []
    event.listen(db.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    await asyncio.gather(*(marks.handled(n) for n in range(100, 120)))
    rows = [row for row in await _rows(database_url) if row.update_id >= 100]
    assert [row.handled_at is not None for row in rows] == [True] * 20
    assert 1 <= len(commits) < 20, "together: those that came in one turn of the loop, or while one committed"
    await db.dispose()


async def test_a_failed_commit_fails_every_mark_it_carried_and_each_can_try_again(database_url: str) -> None:
    db = Database(database_url)
    async with db.session() as session:
        await inbox.record(session, [_help_update(n) for n in (130, 131, 132)])
    marks, updates = HandledMarks(db), []

    def refuse_the_first_batch(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("UPDATE received_updates"):
            updates.append(statement)
            if len(updates) == 1:
                raise OperationalError(statement, {}, Exception("database is locked"))

    event.listen(db.engine.sync_engine, "before_cursor_execute", refuse_the_first_batch)
    outcomes = await asyncio.gather(*(marks.handled(n) for n in (130, 131, 132)), return_exceptions=True)
    assert [type(outcome) for outcome in outcomes] == [OperationalError] * 3, "they came in one turn"
    await asyncio.gather(marks.handled(130), marks.handled(131), marks.handled(132))
    assert all(row.handled_at is not None for row in await _rows(database_url) if row.update_id >= 130)
    await db.dispose()


async def _lapse_claims(db: Database, *update_ids: int) -> None:
    """What the passing of a claim's lease does: its end is now behind us (no waiting in a test)."""
    async with db.session() as session:
        await session.execute(
            update(ReceivedUpdate)
            .where(ReceivedUpdate.update_id.in_(update_ids))
            .values(claimed_until=utcnow() - dt.timedelta(seconds=1))
        )
        await session.commit()


async def _claim(db: Database, update_id: int, by: str) -> int:
    async with db.session() as session:
        return await inbox.claim(session, update_id, _help_update(update_id), by=by)


async def test_a_webhook_claim_keeps_others_away_until_released_lapsed_or_handled(database_url: str) -> None:
    db = Database(database_url)
    assert await _claim(db, 61, "one") == 1
    with pytest.raises(inbox.ClaimedElsewhere) as held:
        await _claim(db, 61, "two")
    assert held.value.by == "one"
    [row] = [row for row in await _rows(database_url) if row.update_id == 61]
    assert (row.attempts, row.claimed_by) == (1, "one"), "a refused claim counts no attempt"

    async with db.session() as session:
        assert await inbox.renew(session, 61, 1)
        await inbox.release(session, 61, 1)  # left to Telegram's redelivery after a failure that may pass
    assert await _claim(db, 61, "two") == 2, "a released claim is taken at once, as the next attempt"
    async with db.session() as session:
        assert not await inbox.renew(session, 61, 1), "the first attempt's claim is not its holder's any more"
        await inbox.release(session, 61, 1)  # nor can it give back the second attempt's claim
    with pytest.raises(inbox.ClaimedElsewhere):
        await _claim(db, 61, "one")

    await _lapse_claims(db, 61)  # "two" died while handling it
    assert await _claim(db, 61, "one") == 3, "a lapsed claim is taken again"
    async with db.session() as session:
        await inbox.finish(session, [61])
    assert await _claim(db, 61, "two") == 0, "handled: the redelivery is answered without handling it"
    await db.dispose()


async def test_a_webhook_update_whose_last_attempt_died_is_given_up_once_its_claim_lapses(
    database_url: str,
) -> None:
    db = Database(database_url)
    for attempt in range(1, inbox.MAX_ATTEMPTS + 1):
        assert await _claim(db, 71, "crashing") == attempt
        if attempt < inbox.MAX_ATTEMPTS:
            await _lapse_claims(db, 71)
    with pytest.raises(inbox.ClaimedElsewhere):  # its last attempt may still succeed
        await _claim(db, 71, "other")
    await _lapse_claims(db, 71)
    assert await _claim(db, 71, "other") == 0
    [row] = [row for row in await _rows(database_url) if row.update_id == 71]
    assert (row.attempts, row.handled_at is not None) == (inbox.MAX_ATTEMPTS, True), "given up"
    await db.dispose()


async def test_two_claims_of_one_update_at_the_same_moment_give_it_to_one(database_url: str) -> None:
    """The second claim runs while the first one's transaction is still open: it waits for it (PostgreSQL's
    unique index, SQLite's write lock) and then finds the first's claim, however close the two come."""
    first_db, second_db = Database(database_url), Database(database_url)
    second_started = asyncio.Event()

    def starting(*_: object) -> None:
        second_started.set()

    event.listen(second_db.engine.sync_engine, "begin", starting)  # on SQLite, BEGIN is where it waits
    async with asyncio.timeout(30), first_db.session() as first:
        async with transaction(first):
            assert await inbox.claim(first, 81, _help_update(81), by="first") == 1
            second = asyncio.create_task(_claim(second_db, 81, "second"))
            await second_started.wait()
            if not first_db.is_sqlite:  # seen waiting for the first's row (SQLite's wait is in its driver)
                await _waiting_for_a_lock(first)
            assert not second.done()
        with pytest.raises(inbox.ClaimedElsewhere):
            await second
    [row] = [row for row in await _rows(database_url) if row.update_id == 81]
    assert (row.attempts, row.claimed_by) == (1, "first")
    await first_db.dispose()
    await second_db.dispose()


async def _waiting_for_a_lock(session: AsyncSession) -> None:
    """Until another connection to this PostgreSQL database waits for a lock (there is no other event)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
    )
    while True:
        if (await session.execute(waiting)).scalar_one():
            return
        await asyncio.sleep(0.01)
