"""Buttons, edits, callback answers, files, commands, blocking, faults and flood control."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from sandbox import BotAPISandbox, SandboxBot, SandboxUser

from .conftest import TOKEN, make_bot

MENU = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="船期", callback_data="ship:1"),
            InlineKeyboardButton(text="费用", callback_data="fee:1"),
        ],
        [InlineKeyboardButton(text="官网", url="https://example.com")],
    ]
)


async def test_press_delivers_callback_data_to_a_handler(
    bot: Bot, sandbox: BotAPISandbox, account: SandboxBot, user: SandboxUser
) -> None:
    dispatcher = Dispatcher()
    seen: list[str] = []

    @dispatcher.callback_query(F.data.startswith("ship:"))
    async def on_ship(query: CallbackQuery) -> None:
        seen.append(query.data or "")
        await query.answer("已选择")
        assert query.message is not None
        await bot.edit_message_text(
            "<i>已选择船期</i>", chat_id=user.id, message_id=query.message.message_id, parse_mode="HTML"
        )

    @dispatcher.callback_query()
    async def other(query: CallbackQuery) -> None:
        seen.append(f"other {query.data}")
        await query.answer("无效", show_alert=True)

    await bot.get_updates(offset=-1)
    menu = await bot.send_message(user.id, "选择:", reply_markup=MENU)
    stored = sandbox.messages(user)[-1]
    assert stored.buttons == [[("船期", "ship:1"), ("费用", "fee:1")], [("官网", "https://example.com")]]
    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False))
    press = sandbox.press(account.token, user, stored, "船期")
    edited = await sandbox.wait_for_reply(user, after=press)
    answer = await sandbox.wait_for_answer(press)
    forged = sandbox.press_data(account.token, user, menu.message_id, "admin:drop_all")
    forged_answer = await sandbox.wait_for_answer(forged)
    await sandbox.wait_idle()
    await dispatcher.stop_polling()
    await polling
    assert seen == ["ship:1", "other admin:drop_all"]
    assert (answer.text, answer.show_alert, forged_answer.show_alert) == ("已选择", False, True)
    assert (edited.message_id, edited.edited, edited.text) == (menu.message_id, True, "已选择船期")
    assert edited.reply_markup is None  # editMessageText without reply_markup drops the keyboard
    assert edited.history[0].text == "选择:"
    assert sandbox.rejected == []


async def test_press_finds_buttons_by_position_and_explains_misses(
    bot: Bot, sandbox: BotAPISandbox, account: SandboxBot, user: SandboxUser
) -> None:
    await bot.send_message(user.id, "menu", reply_markup=MENU)
    message = sandbox.messages(user)[-1]
    assert sandbox.press(account.token, user, message, (0, 1))["callback_query"]["data"] == "fee:1"
    assert sandbox.press(account.token, user, message, 0)["callback_query"]["data"] == "ship:1"
    with pytest.raises(LookupError, match=r"buttons: \['船期', '费用', '官网'\]"):
        sandbox.press(account.token, user, message, "missing")
    with pytest.raises(LookupError, match="no callback_data"):
        sandbox.press(account.token, user, message, "官网")


async def test_edit_rules(bot: Bot, sandbox: BotAPISandbox, user: SandboxUser) -> None:
    sent = await bot.send_message(user.id, "<b>v1</b>", parse_mode="HTML", reply_markup=MENU)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "<strong>v1</strong>",
            chat_id=user.id,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=MENU,
        )
    edited = await bot.edit_message_reply_markup(chat_id=user.id, message_id=sent.message_id)
    assert edited is not True
    assert sandbox.messages(user)[-1].reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=user.id, message_id=999)
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=user.id, message_id=1)  # the user's /start


async def test_callback_query_can_be_answered_once(
    bot: Bot, sandbox: BotAPISandbox, account: SandboxBot, user: SandboxUser
) -> None:
    await bot.send_message(user.id, "menu", reply_markup=MENU)
    query_id = sandbox.press(account.token, user, sandbox.messages(user)[-1], "费用")["callback_query"]["id"]
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="好的")
    for stale in (query_id, "12345"):
        with pytest.raises(TelegramBadRequest, match="query is too old"):
            await bot.answer_callback_query(stale)
    assert [(a.query_id, a.text) for a in sandbox.callback_answers] == [(query_id, "好的")]


async def test_commands_are_kept_per_scope_and_language(
    bot: Bot, sandbox: BotAPISandbox, user: SandboxUser
) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands([BotCommand(command="start", description="开始")], language_code="zh")
    private = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands([BotCommand(command="help", description="Help")], scope=private)
    await bot.set_my_commands(
        [BotCommand(command="admin", description="Admin")], scope=BotCommandScopeChat(chat_id=user.id)
    )
    assert [c.description for c in await bot.get_my_commands(language_code="zh")] == ["开始"]
    assert sandbox.commands() == [{"command": "start", "description": "Start"}]
    assert sandbox.commands({"type": "all_private_chats"}) == [{"command": "help", "description": "Help"}]
    assert sandbox.commands({"type": "chat", "chat_id": user.id})[0]["command"] == "admin"
    assert sandbox.commands({"type": "all_group_chats"}) == []
    await bot.delete_my_commands(scope=private)
    assert sandbox.commands({"type": "all_private_chats"}) == []
    with pytest.raises(TelegramBadRequest, match="invalid language code"):
        await bot.set_my_commands([BotCommand(command="start", description="开始")], language_code="zh-hans")
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start-Now", description="x")])


async def test_blocked_user_gives_forbidden(bot: Bot, sandbox: BotAPISandbox, user: SandboxUser) -> None:
    sandbox.block(user)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(user.id, "hello")
    sandbox.unblock(user)
    assert (await bot.send_message(user.id, "welcome back")).text == "welcome back"


async def test_injected_faults(bot: Bot, sandbox: BotAPISandbox, user: SandboxUser) -> None:
    now = [0.0]
    sandbox.flood.clock = lambda: now[0]
    sandbox.faults.add("sendMessage", 429, retry_after=7)
    sandbox.faults.add("sendMessage", 500)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(user.id, "a")
    assert retry.value.retry_after == 7
    now[0] += 7  # the chat's window (tests/sandbox/test_strictness.py)
    with pytest.raises(TelegramServerError):
        await bot.send_message(user.id, "b")
    sandbox.faults.add("sendMessage", "timeout", delay=5, apply=True)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(user.id, "c", request_timeout=0.2)  # type: ignore[arg-type]
    assert [m.text for m in sandbox.messages(user)] == ["c"]  # delivered, though the answer was lost
    assert (await bot.send_message(user.id, "d")).text == "d"
    assert sandbox.rejected == []
    assert len(sandbox.faults) == 0


async def test_flood_control(account: SandboxBot) -> None:
    async with BotAPISandbox(flood_control=True) as sandbox:
        sandbox.add_bot(account.token)
        now = [0.0]
        sandbox.flood.clock = lambda: now[0]
        users = [sandbox.add_user(100 + i, f"u{i}") for i in range(31)]
        for person in users:
            sandbox.send_text(account.token, person, "/start")
        group = sandbox.add_group(-1001, "Market dept")
        client = make_bot(sandbox, account.token)
        try:
            for _ in range(3):  # a short burst is fine
                await client.send_message(users[0].id, "burst")
            with pytest.raises(TelegramRetryAfter) as private:
                await client.send_message(users[0].id, "too fast")
            now[0] += 1.0
            await client.send_message(users[0].id, "after a second")
            for i in range(20):
                now[0] += 1.0
                await client.send_message(group.id, f"alert {i}")
            with pytest.raises(TelegramRetryAfter) as grouped:
                await client.send_message(group.id, "one too many")
            now[0] += 100
            for person in users[:30]:
                await client.send_message(person.id, "bulk")
            with pytest.raises(TelegramRetryAfter):
                await client.send_message(users[30].id, "31st in a second")
        finally:
            await client.session.close()
    assert private.value.retry_after == 1
    assert 1 <= grouped.value.retry_after <= 60
    assert [c.status for c in sandbox.rejected] == [429, 429, 429]


async def test_small_methods(bot: Bot, sandbox: BotAPISandbox, user: SandboxUser) -> None:
    group = sandbox.add_group(-1001, "Market dept")
    assert await bot.send_chat_action(user.id, "typing")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(user.id, "dancing")  # type: ignore[arg-type]
    sent = await bot.send_message(group.id, "告警")
    assert sent.chat.title == "Market dept"
    assert await bot.delete_message(group.id, sent.message_id)
    assert sandbox.messages(group) == []
    assert [m.text for m in sandbox.messages(group, deleted=True)] == ["告警"]
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(group.id, sent.message_id)
    chat = await bot.get_chat(user.id)
    assert (chat.id, chat.type, chat.first_name) == (user.id, "private", "李雷")
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert sandbox.pending_updates(TOKEN) == []
