"""A 429's retry_after belongs to the chat, not to the call: whichever path met it (a handler's reply, an
error apology, the outbox), no other path sends to that chat until the window has passed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.runtime.app import build_bot
from bot.telegram.retry_after import (
    OVERALL_PER_SECOND,
    KeepOutOfWindows,
    RetryAfterWindows,
    answering_in,
    patience,
)
from portcrm.i18n import gettext_for
from portcrm.messaging import outbox
from portcrm.settings import Settings
from sandbox import BotAPISandbox, SandboxUser
from tests.conftest import REDIS_URL, requires_redis
from tests.faults.support import errors, quick_retries, refused
from tests.harness import TOKEN, RunningBot, running_bot

en = gettext_for("en")
HELP = en("<b>What I can do for you</b>").removeprefix("<b>").removesuffix("</b>")
APOLOGY = "Sorry, something went wrong on our side. Please try again later. Incident: {incident}"
SORRY = en(APOLOGY).split("{")[0]
NOTICE = "Your container OOLU1234565 was discharged."
BUTTON = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]])
HOLD = 0.5  # seconds the sandbox holds a request before answering it


async def _notify(app: RunningBot, chat_id: int, key: str = "n1") -> None:
    async with app.db.session() as session:
        await outbox.enqueue(session, key=key, kind="test", chat_id=chat_id, text=NOTICE)
        await session.commit()


async def _delivered(app: RunningBot, chat_id: int) -> None:
    def seen() -> bool | None:
        return any(m.text == NOTICE for m in app.sandbox.messages(chat_id, TOKEN)) or None

    assert await app.sandbox.state.changed.wait_until(seen, 15) is not None, "the notification never came"


async def test_an_apology_waits_until_the_chats_window_has_passed(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(database_url) as app:
        retries = quick_retries(app)
        retries.max_retry_after = 1.0  # a wait of 2 s is beyond it: the reply fails, an incident
        user = app.user(8901, language_code="en")
        app.sandbox.faults.add("sendMessage", 429, retry_after=2, chat_id=user.id)
        update = app.sandbox.send_text(TOKEN, user, "/help")
        await app.handled(update, timeout=30)

        apology = await app.sandbox.wait_for_reply(user, after=update, token=TOKEN)
        assert (apology.text or "").startswith(SORRY)
        [incident] = errors(caplog)
        assert apology.text.endswith(incident.split()[1].rstrip(":")), "the apology names the logged incident"
    # running_bot fails on any request sent inside a retry_after window


async def test_the_outbox_keeps_out_of_a_window_a_handlers_reply_met(database_url: str) -> None:
    async with running_bot(database_url) as app:
        quick_retries(app)
        user = app.user(8902, language_code="en")
        app.sandbox.faults.add("sendMessage", 429, retry_after=2, chat_id=user.id)
        update = app.sandbox.send_text(TOKEN, user, "/help")
        await refused(app, user.id)
        await _notify(app, user.id)
        await app.handled(update, timeout=30)
        await _delivered(app, user.id)

        texts = [m.text or "" for m in app.sandbox.messages(user, TOKEN)]
        assert [text.startswith(HELP) or text == NOTICE for text in texts] == [True, True]


async def test_a_handlers_reply_keeps_out_of_a_window_the_outbox_met(database_url: str) -> None:
    async with running_bot(database_url) as app:
        quick_retries(app)
        user = app.user(8903, language_code="en")
        app.sandbox.send_text(TOKEN, user, "/start")  # opens the chat
        await app.settled()
        app.sandbox.faults.add("sendMessage", 429, retry_after=2, chat_id=user.id)
        await _notify(app, user.id)
        await refused(app, user.id)
        update = app.sandbox.send_text(TOKEN, user, "/help")
        await app.handled(update, timeout=30)
        await _delivered(app, user.id)

        texts = [m.text or "" for m in app.sandbox.replies(user, update, token=TOKEN)]
        assert sorted(text.startswith(HELP) for text in texts) == [False, True]
        assert NOTICE in texts


async def test_a_429_on_a_buttons_answer_holds_the_chat_it_was_pressed_in(database_url: str) -> None:
    async with running_bot(database_url) as app:
        quick_retries(app)
        user = app.user(8904, language_code="en")
        menu = await app.say(user, "/language")
        app.sandbox.faults.add("answerCallbackQuery", 429, retry_after=3, chat_id=user.id)
        press = app.sandbox.press(TOKEN, user, menu, 2)  # English: answered, then the menu edited
        await _refused_answer(app)
        await _notify(app, user.id)  # the outbox has a notification for the chat meanwhile
        answer = await app.sandbox.wait_for_answer(press)
        await app.handled(press)
        await _delivered(app, user.id)

        assert answer.after < 15, "answered after the window, in time"
        texts = [m.text for m in app.sandbox.messages(user, TOKEN)]
        assert en("Language set to {language}.").format(language="English") in texts
        assert NOTICE in texts
    # running_bot fails on any request sent inside the window: the edit's, the outbox's, the answer's retry


async def _refused_answer(app: RunningBot) -> None:
    def seen() -> bool | None:
        return any(c.status == 429 for c in app.sandbox.calls_to("answerCallbackQuery")) or None

    assert await app.sandbox.state.changed.wait_until(seen, 30) is not None, "the answer met no 429"


@contextlib.asynccontextmanager
async def _client(**settings: Any) -> AsyncIterator[tuple[BotAPISandbox, Bot, list[SandboxUser]]]:
    """The bot's own HTTP client (session middlewares and all) against a strict sandbox; no dispatcher."""
    async with BotAPISandbox(flood_control=True) as sandbox:
        sandbox.add_bot(TOKEN)
        users = [sandbox.add_user(7700 + n, f"u{n}") for n in range(40)]
        for user in users:
            sandbox.send_text(TOKEN, user, "/start")
        config = Settings(_env_file=None, bot_token=TOKEN, telegram_api_url=sandbox.base_url, **settings)
        bot = build_bot(config)
        try:
            yield sandbox, bot, users
        finally:
            await bot.session.close()


async def test_two_requests_for_one_chat_at_once_never_put_the_second_into_the_firsts_window() -> None:
    async with _client() as (sandbox, bot, users):
        sandbox.faults.add("sendMessage", 429, retry_after=2, chat_id=users[0].id)
        first, second = (bot.send_message(users[0].id, text) for text in ("first", "second"))
        outcomes = await asyncio.gather(first, second, return_exceptions=True)
        assert [type(outcome) for outcome in outcomes] == [TelegramRetryAfter, TelegramRetryAfter]
        assert len(sandbox.calls_to("sendMessage")) == 1, "the second learnt of the window before setting out"
        assert sandbox.violations == []


async def test_many_chats_at_once_keep_under_the_overall_limit() -> None:
    async with _client() as (sandbox, bot, users):
        await asyncio.gather(*(bot.send_message(user.id, "to everyone") for user in users))
        assert sandbox.rejected == [], "no 429: the overall limit was kept, not met"
        assert sandbox.violations == []


async def test_a_buttons_answer_waits_for_the_request_in_flight_and_goes_before_those_waiting() -> None:
    async with _client() as (sandbox, bot, users):
        chat = users[0].id
        await bot.send_message(chat, "menu", reply_markup=BUTTON)
        press = sandbox.press(TOKEN, users[0], sandbox.messages(users[0])[-1], "A")
        [keeper] = [m for m in bot.session.middleware if isinstance(m, KeepOutOfWindows)]
        sandbox.faults.add("sendMessage", "timeout", delay=HOLD, apply=True, chat_id=chat)

        async def waiting(requests: int) -> None:  # until so many requests of the chat are in or at its turn
            turn = keeper._turns.get(str(chat))
            while turn is None or turn.users < requests:
                await sandbox.state.changed.wait(0.01)
                turn = keeper._turns.get(str(chat))

        first = asyncio.create_task(bot.send_message(chat, "first"))
        await waiting(1)
        second = asyncio.create_task(bot.send_message(chat, "second"))
        await waiting(2)
        with answering_in(chat), patience(10.0):
            answer = asyncio.create_task(bot.answer_callback_query(press["callback_query"]["id"]))
        await asyncio.gather(first, second, answer)

        calls = [c for c in sandbox.calls if c.method in ("sendMessage", "answerCallbackQuery")][1:]
        assert [c.params.get("text", "answer") for c in calls] == ["first", "answer", "second"]
        assert calls[1].at >= calls[0].at + HOLD, "the answer set out once the request in flight was answered"


async def test_the_overall_pace_lifted_for_a_benchmark_holds_no_request_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """bench/chat_throughput.py and bench/delivery.py measure ceilings with PORTCRM_TELEGRAM_RATE=inf."""
    monkeypatch.setenv("PORTCRM_TELEGRAM_RATE", "inf")
    settings = Settings(_env_file=None, bot_token=TOKEN)
    frozen = RetryAfterWindows(lambda: 0.0, per_second=settings.telegram_rate)  # no second ever passes
    paced = RetryAfterWindows(lambda: 0.0)
    message = SendMessage(chat_id=1, text="x")
    for _ in range(100):
        async with frozen.slot(message):
            pass
    for _ in range(int(OVERALL_PER_SECOND)):
        async with paced.slot(message):
            pass
    assert paced._busy() == OVERALL_PER_SECOND, "paced, the next request would wait for the next second"
    assert frozen._busy() == 0


async def test_a_buttons_answer_does_not_wait_for_a_request_of_its_chat_waiting_for_the_overall_pace() -> (
    None
):
    async with _client(telegram_rate=1.0) as (sandbox, bot, users):
        chat = users[0].id
        await bot.send_message(chat, "menu", reply_markup=BUTTON)  # this second's one request
        press = sandbox.press(TOKEN, users[0], sandbox.messages(users[0])[-1], "A")
        waiting = asyncio.create_task(bot.send_message(chat, "waits for the next second"))
        [keeper] = [m for m in bot.session.middleware if isinstance(m, KeepOutOfWindows)]
        while not keeper.windows._pace.locked():  # it waits for its slot
            await sandbox.state.changed.wait(0.01)
        with answering_in(chat), patience(10.0):
            await bot.answer_callback_query(press["callback_query"]["id"])
        assert [c.method for c in sandbox.calls_to("sendMessage")][1:] == [], "answered before it went"
        await waiting


async def test_a_chats_429_at_full_pace_holds_no_other_chat() -> None:
    """At a pace below Telegram's overall limit a 429 for a chat is that chat's: taken for the bot's, it held
    every chat for each chat's 429 in a busy second."""
    async with _client(telegram_rate=2.0) as (sandbox, bot, users):
        sandbox.faults.add("sendMessage", 429, retry_after=3, chat_id=users[1].id)
        await bot.send_message(users[0].id, "first of the second")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(users[1].id, "second of the second: refused for its chat")
        await bot.send_message(users[2].id, "another chat goes in the next second, not in 3 s")
        assert [c.params.get("text", "")[:7] for c in sandbox.calls_to("sendMessage")] == [
            "first o",
            "second ",
            "another",
        ]


@requires_redis
async def test_a_429_met_by_one_instance_holds_the_chat_for_the_other() -> None:
    """Phase 2 of the fault campaign: four requests went into windows that a 429 answered to the other
    webhook instance had opened. With Redis, the instances share their windows."""
    async with _client(redis_url=REDIS_URL) as (sandbox, first, users):
        second = build_bot(Settings(_env_file=None, bot_token=TOKEN, telegram_api_url=sandbox.base_url,
                                    redis_url=REDIS_URL))  # fmt: skip
        try:
            chat = users[0].id
            sandbox.faults.add("sendMessage", 429, retry_after=2, chat_id=chat)
            with pytest.raises(TelegramRetryAfter):
                await first.send_message(chat, "met the 429")
            with pytest.raises(TelegramRetryAfter):  # no patience outside a handler: refused, not sent
                await second.send_message(chat, "the other instance, inside the window")
            with patience(10.0):
                await second.send_message(chat, "the other instance, once the window has passed")
            await second.send_message(users[1].id, "another chat was never held")
        finally:
            await second.session.close()
        texts = [c.params.get("text") for c in sandbox.calls_to("sendMessage")]
        assert texts == [
            "met the 429",
            "the other instance, once the window has passed",
            "another chat was never held",
        ]
        assert sandbox.violations == []


async def test_an_instance_sends_on_its_own_windows_while_redis_is_away(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with _client(redis_url="redis://127.0.0.1:1/0") as (sandbox, bot, users):  # nothing listens there
        await bot.send_message(users[0].id, "one")
        await bot.send_message(users[0].id, "two")
        assert [c.params.get("text") for c in sandbox.calls_to("sendMessage")] == ["one", "two"]
    warnings = [r.getMessage() for r in caplog.records if "shared retry_after windows" in r.getMessage()]
    assert len(warnings) == 1, "one warning a minute, not one per request"
