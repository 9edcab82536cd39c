"""A button press held up past its deadline (queued, waiting out a window) is answered for its handler in
time; the handler's own answer is then a no-op, and an apology goes to the chat instead of an alert."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, TelegramObject

from bot.runtime.app import build_bot
from bot.telegram.callback_answers import answers_of
from portcrm.i18n import gettext_for
from portcrm.settings import Settings
from sandbox import BotAPISandbox, SandboxUser
from sandbox import messaging as sandbox_messaging
from tests.faults.support import errors
from tests.harness import TOKEN, RunningBot, running_bot

en = gettext_for("en")
APOLOGY = "Sorry, something went wrong on our side. Please try again later. Incident: {incident}"
DEADLINE = 0.5  # seconds, instead of ANSWER_WITHIN's 3
BUTTON = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]])


class HeldUp(BaseMiddleware):
    """Inside the press's watch: holds every press until released, then lets it through or fails it."""

    def __init__(self, *, fail: bool = False) -> None:
        self.released, self.fail = asyncio.Event(), fail

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        await self.released.wait()
        if self.fail:
            raise RuntimeError("a bug, after the deadline")
        return await handler(event, data)


async def _held_press(app: RunningBot, held: HeldUp) -> tuple[dict[str, Any], Any]:
    answers = answers_of(app.bot)
    assert answers is not None
    answers.within = DEADLINE
    user = app.user(8951, language_code="en")
    menu = await app.say(user, "/language")
    app.dispatcher.callback_query.outer_middleware(held)
    press = app.sandbox.press(TOKEN, user, menu, 2)  # English
    answer = await app.sandbox.wait_for_answer(press)  # before the handler has even started
    held.released.set()
    await app.handled(press)
    return press, answer


async def test_a_press_held_past_its_deadline_is_answered_for_its_handler(database_url: str) -> None:
    async with running_bot(database_url) as app:
        press, answer = await _held_press(app, HeldUp())

        assert answer.text is None, "answered with no text, just to stop the spinner"
        [edited] = app.sandbox.replies(press["callback_query"]["from"]["id"], press, token=TOKEN)
        assert edited.text == en("Language set to {language}.").format(language="English")
        assert len(app.sandbox.callback_answers) == 1, "the handler's own answer was a no-op"
    # running_bot fails on a second answer ("query is too old")


async def test_a_fault_after_the_deadline_is_apologised_for_in_the_chat(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(database_url) as app:
        press, _ = await _held_press(app, HeldUp(fail=True))

        user_id = press["callback_query"]["from"]["id"]
        apology = await app.sandbox.wait_for_reply(user_id, after=press, token=TOKEN)
        assert (apology.text or "").startswith(en(APOLOGY).split("{")[0])
        [incident] = errors(caplog)
        assert (apology.text or "").endswith(incident.split()[1].rstrip(":"))
        assert len(app.sandbox.callback_answers) == 1


async def test_a_deadline_answer_whose_connection_dropped_is_tried_again_in_time(database_url: str) -> None:
    async with running_bot(database_url) as app:
        app.sandbox.faults.add("answerCallbackQuery", "drop")  # the answer at the deadline: lost, not done
        _, answer = await _held_press(app, HeldUp())  # answered while the handler is still held up

        assert answer.text is None
        assert [c.dropped for c in app.sandbox.calls_to("answerCallbackQuery")] == [True, False]


async def test_an_answer_refused_as_too_old_after_its_lost_reply_had_landed_is_answered(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(database_url) as app:
        user = app.user(8952, language_code="en")
        menu = await app.say(user, "/language")
        app.sandbox.faults.add("answerCallbackQuery", "drop", apply=True)  # done, but the reply lost
        press = app.sandbox.press(TOKEN, user, menu, 2)  # English
        await app.handled(press)

        [edited] = app.sandbox.replies(user, press, token=TOKEN)
        assert edited.text == en("Language set to {language}.").format(language="English")
        assert [c.status for c in app.sandbox.calls_to("answerCallbackQuery")] == [None, 400]
        assert errors(caplog) == [], "no incident: the press was answered"


async def test_an_answer_is_not_tried_again_once_it_would_come_too_late(
    database_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox_messaging, "CALLBACK_ANSWER_SECONDS", 2.5)  # Telegram's 15 s, scaled
    async with running_bot(database_url) as app:
        answers = answers_of(app.bot)
        assert answers is not None
        answers.last_try = 2.0
        user = app.user(8953, language_code="en")
        menu = await app.say(user, "/language")
        app.sandbox.faults.add("answerCallbackQuery", 429, retry_after=3)  # its window outlasts the press
        press = app.sandbox.press(TOKEN, user, menu, 2)  # English
        await app.handled(press)

        [edited] = app.sandbox.replies(user, press, token=TOKEN)
        assert edited.text == en("Language set to {language}.").format(language="English")
        assert [c.status for c in app.sandbox.calls_to("answerCallbackQuery")] == [429], "no late retry"
        assert errors(caplog) == []


class HoldPress(BaseMiddleware):
    """Holds one button press until released, or for `LIMIT` seconds."""

    LIMIT = 5.0  # below the harness's wait for the bot to start

    def __init__(self, query_id: str) -> None:
        self.query_id, self.released, self.timed_out = query_id, asyncio.Event(), False

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, CallbackQuery) and event.id == self.query_id:
            try:
                await asyncio.wait_for(self.released.wait(), self.LIMIT)
            except TimeoutError:
                self.timed_out = True
        return await handler(event, data)


def _pressed_while_down(sandbox: BotAPISandbox, user: SandboxUser) -> dict[str, Any]:
    """A press waiting in Telegram's queue for the bot to come back (on a button no handler knows)."""
    bot = sandbox.state.bots[TOKEN]
    query_id = sandbox.state.new_callback_id()
    bot.open_callbacks[query_id], bot.callback_chats[query_id] = sandbox.state.clock(), user.id
    query = {"id": query_id, "from": user.to_json(), "chat_instance": "1", "data": "pressed-while-down"}
    return sandbox.state.enqueue(TOKEN, {"callback_query": query})


async def test_presses_made_while_the_bot_was_down_are_answered_soon(database_url: str) -> None:
    """They are older than they look: the first batch after a start is answered within BACKLOG_WITHIN
    even when its handler queues behind the chat's earlier update."""
    presses: list[dict[str, Any]] = []
    holds: list[HoldPress] = []

    def down(sandbox: BotAPISandbox) -> None:
        user = sandbox.add_user(8954, "Down", language_code="en")
        sandbox.state.bots[TOKEN].started.add(user.id)
        presses.extend(_pressed_while_down(sandbox, user) for _ in range(2))
        holds.append(HoldPress(presses[0]["callback_query"]["id"]))

    async with running_bot(
        database_url, before_start=down, with_dispatcher=lambda d: d.callback_query.middleware(holds[0])
    ) as app:
        await app.sandbox.wait_for_answer(presses[1], timeout=HoldPress.LIMIT)  # behind the held one
        held = holds[0]
        assert not held.timed_out, "answered while the press before it in its chat was still held"
        held.released.set()
        await app.settled()
        assert not app.sandbox.unanswered_callbacks()


async def test_a_press_telegram_calls_too_old_is_not_tried_again() -> None:
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(TOKEN)
        user = sandbox.add_user(8955, "Late", language_code="en")
        sandbox.send_text(TOKEN, user, "/start")
        bot = build_bot(Settings(_env_file=None, bot_token=TOKEN, telegram_api_url=sandbox.base_url))
        try:
            await bot.send_message(user.id, "menu", reply_markup=BUTTON)
            press = sandbox.press(TOKEN, user, sandbox.messages(user)[-1], "A")
            query_id = press["callback_query"]["id"]
            sandbox.state.bots[TOKEN].open_callbacks[query_id] -= 20  # pressed long before the bot saw it

            assert await bot.answer_callback_query(query_id) is False, "refused as too old: not answered"
            assert await bot.answer_callback_query(query_id, text="again") is False
        finally:
            await bot.session.close()
        assert len(sandbox.calls_to("answerCallbackQuery")) == 1, "not tried again"
