"""The sandbox is as strict as Telegram: retry_after windows, the 15 s callback limit, 502 pages, drops."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from sandbox import BotAPISandbox, SandboxBot, SandboxUser

from .conftest import make_bot

BUTTON = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]])


class Clock:
    """The sandbox's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(sandbox: BotAPISandbox) -> Clock:
    hand = Clock()
    sandbox.flood.clock = hand
    return hand


@pytest.fixture
async def flooded() -> AsyncIterator[BotAPISandbox]:
    async with BotAPISandbox(flood_control=True) as running:
        yield running


async def test_a_request_inside_a_chats_window_is_refused_again_and_counted(
    flooded: BotAPISandbox, account: SandboxBot
) -> None:
    now = Clock()
    flooded.flood.clock = now
    flooded.add_bot(account.token)
    alice, bob = (flooded.add_user(user_id, name) for user_id, name in ((301, "Alice"), (302, "Bob")))
    for person in (alice, bob):
        flooded.send_text(account.token, person, "/start")
    bot = make_bot(flooded, account.token)
    try:
        for _ in range(3):  # Telegram's short burst
            await bot.send_message(alice.id, "burst", reply_markup=BUTTON)
        with pytest.raises(TelegramRetryAfter) as told:
            await bot.send_message(alice.id, "one too many")
        assert flooded.violations == [], "hearing 429 is not a violation; sending inside its window is"
        await bot.send_message(bob.id, "another chat is not inside alice's window")
        now.now += told.value.retry_after - 0.5
        with pytest.raises(TelegramRetryAfter) as again:
            await bot.edit_message_text("edited", chat_id=alice.id, message_id=1)  # any request for the chat
        assert again.value.retry_after == 1
        press = flooded.press(account.token, alice, flooded.messages(alice)[0], "A")
        with pytest.raises(TelegramRetryAfter):  # a press in alice's chat is answered in alice's chat
            await bot.answer_callback_query(press["callback_query"]["id"])
        assert [(v.call.method, v.scope) for v in flooded.violations] == [
            ("editMessageText", str(alice.id)),
            ("answerCallbackQuery", str(alice.id)),
        ]
        now.now += 0.5
        await bot.send_message(alice.id, "after the window")
        assert await bot.answer_callback_query(press["callback_query"]["id"])
    finally:
        await bot.session.close()
    assert len(flooded.violations) == 2


async def test_the_overall_limit_opens_a_window_for_every_chat(
    flooded: BotAPISandbox, account: SandboxBot
) -> None:
    now = Clock()
    flooded.flood.clock = now
    flooded.add_bot(account.token)
    users = [flooded.add_user(400 + i, f"u{i}") for i in range(32)]
    for person in users:
        flooded.send_text(account.token, person, "/start")
    bot = make_bot(flooded, account.token)
    try:
        for person in users[:30]:
            await bot.send_message(person.id, "bulk")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(users[30].id, "31st in a second")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(users[31].id, "a chat never written to is inside the bot's window")
        with pytest.raises(TelegramRetryAfter):
            await bot.set_my_commands([])  # so is a request naming no chat
    finally:
        await bot.session.close()
    assert [(v.call.method, v.scope) for v in flooded.violations] == [
        ("sendMessage", "bot"),
        ("setMyCommands", "bot"),
    ]


async def test_an_injected_429_is_as_binding_as_a_real_one(
    bot: Bot, sandbox: BotAPISandbox, user: SandboxUser, clock: Clock
) -> None:
    sandbox.faults.add("sendMessage", 429, retry_after=2, chat_id=user.id)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(user.id, "refused")
    clock.now += 1.9
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(user.id, "too soon")
    clock.now += 0.1
    await bot.send_message(user.id, "in time")
    sandbox.faults.add("answerCallbackQuery", 429, retry_after=5)
    await bot.send_message(user.id, "menu", reply_markup=BUTTON)
    press = sandbox.press(bot.token, user, sandbox.messages(user)[-1], "A")
    with pytest.raises(TelegramRetryAfter):
        await bot.answer_callback_query(press["callback_query"]["id"])
    clock.now += 4.9
    with pytest.raises(TelegramRetryAfter):  # a 429 on a button's answer holds the chat it was pressed in
        await bot.send_message(user.id, "too soon after the answer's 429")
    clock.now += 0.1
    assert await bot.answer_callback_query(press["callback_query"]["id"])
    assert [v.call.params.get("text") for v in sandbox.violations] == [
        "too soon",
        "too soon after the answer's 429",
    ]


async def test_a_callback_query_answered_after_15_seconds_is_too_old(
    bot: Bot, sandbox: BotAPISandbox, account: SandboxBot, user: SandboxUser, clock: Clock
) -> None:
    await bot.send_message(user.id, "menu", reply_markup=BUTTON)
    late, timely = (sandbox.press(account.token, user, sandbox.messages(user)[-1], "A") for _ in range(2))
    clock.now += 14.5
    assert await bot.answer_callback_query(timely["callback_query"]["id"], text="ok")
    clock.now += 0.6
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(late["callback_query"]["id"])
    [answer] = sandbox.callback_answers
    assert (answer.text, answer.after) == ("ok", 14.5)
    assert sandbox.unanswered_callbacks() == [late["callback_query"]["id"]]


async def test_a_502_comes_as_telegrams_html_page(
    bot: Bot, sandbox: BotAPISandbox, user: SandboxUser
) -> None:
    sandbox.faults.add("sendMessage", 502)
    with pytest.raises(ClientDecodeError) as raised:  # what aiogram makes of it: not a TelegramServerError
        await bot.send_message(user.id, "a")
    assert "<title>502 Bad Gateway</title>" in str(raised.value.data)
    sandbox.faults.add("sendMessage", 502, html=False)
    sandbox.faults.add("sendMessage", 500, html=True)
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(user.id, "b")
    with pytest.raises(ClientDecodeError):
        await bot.send_message(user.id, "c")
    assert sandbox.messages(user) == []
    assert [call.status for call in sandbox.calls_to("sendMessage")] == [502, 502, 500]


async def test_a_dropped_connection_has_no_answer_and_may_have_been_performed(
    bot: Bot, sandbox: BotAPISandbox, user: SandboxUser
) -> None:
    sandbox.faults.add("sendMessage", "drop")
    sandbox.faults.add("sendMessage", "drop", apply=True)
    with pytest.raises(TelegramNetworkError, match="ServerDisconnected"):
        await bot.send_message(user.id, "lost")
    with pytest.raises(TelegramNetworkError, match="ServerDisconnected"):
        await bot.send_message(user.id, "delivered, answer lost")
    assert (await bot.send_message(user.id, "next")).text == "next"
    assert [m.text for m in sandbox.messages(user)] == ["delivered, answer lost", "next"]
    assert [c.dropped for c in sandbox.calls_to("sendMessage")] == [True, True, False]
    assert sandbox.rejected == []
