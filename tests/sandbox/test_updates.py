"""getUpdates semantics, long polling, webhooks and a real Dispatcher polling the sandbox."""

from __future__ import annotations

import asyncio
import html
import time

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramConflictError
from aiogram.filters import CommandStart
from aiogram.types import Message
from aiohttp import web

from sandbox import BotAPISandbox, SandboxBot, SandboxUser

from .conftest import make_bot


async def _polled(sandbox: BotAPISandbox, token: str, since: int) -> None:
    """Until the sandbox holds a poll newer than the count `since`: a task started has not yet asked."""
    bot = sandbox.state.bots[token]
    assert await bot.signal.wait_until(lambda: bot.poll_generation > since or None, 30)


async def test_offset_confirms_and_unconfirmed_updates_come_again(
    bot: Bot, sandbox: BotAPISandbox, account: SandboxBot, user: SandboxUser
) -> None:
    for text in ("one", "two"):
        sandbox.send_text(account.token, user, text)
    first = await bot.get_updates()
    assert [u.message.text for u in first if u.message] == ["/start", "one", "two"]
    assert [u.update_id for u in await bot.get_updates()] == [u.update_id for u in first]  # not confirmed yet
    assert len(await bot.get_updates(offset=first[1].update_id)) == 2
    assert len(await bot.get_updates(limit=1)) == 1
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == [first[-1].update_id]
    assert await bot.get_updates(offset=first[-1].update_id + 1) == []
    assert sandbox.pending_updates(account.token) == []


async def test_long_poll_wakes_when_an_update_arrives(
    bot: Bot, sandbox: BotAPISandbox, account: SandboxBot
) -> None:
    person = sandbox.add_user(1002, "韩梅梅")
    started = time.monotonic()
    since = sandbox.state.bots[account.token].poll_generation
    poll = asyncio.create_task(bot.get_updates(timeout=30))  # far beyond any pause of a loaded machine
    await _polled(sandbox, account.token, since)
    sandbox.send_text(account.token, person, "你好")
    updates = await poll
    assert time.monotonic() - started < 30, "returned on the update, not at the poll's timeout"
    assert [u.message.text for u in updates if u.message] == ["你好"]


async def test_long_poll_returns_empty_after_timeout(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert time.monotonic() - started > 0.9, "held for the poll's timeout"


async def test_a_second_poller_ends_the_first_with_conflict(
    sandbox: BotAPISandbox, account: SandboxBot
) -> None:
    first, second = make_bot(sandbox), make_bot(sandbox)
    try:
        since = sandbox.state.bots[account.token].poll_generation
        older = asyncio.create_task(first.get_updates(timeout=5))
        await _polled(sandbox, account.token, since)  # else the newer could come first and end the older
        newer = asyncio.create_task(second.get_updates(timeout=1))
        with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
            await older
        sandbox.send_text(account.token, sandbox.add_user(5, "Waker"), "wake the newer poll")
        assert len(await newer) == 1
    finally:
        await first.session.close()
        await second.session.close()


async def test_allowed_updates_filters_and_sticks(
    bot: Bot, sandbox: BotAPISandbox, account: SandboxBot, user: SandboxUser
) -> None:
    await bot.get_updates(offset=-1)
    await bot.get_updates(
        offset=(await bot.get_updates())[-1].update_id + 1, allowed_updates=["callback_query"]
    )
    sandbox.send_text(account.token, user, "ignored")
    sandbox.block(user)  # my_chat_member: not asked for either
    assert await bot.get_updates() == []


async def test_block_sends_my_chat_member(
    bot: Bot, sandbox: BotAPISandbox, account: SandboxBot, user: SandboxUser
) -> None:
    sandbox.block(user)
    update = (await bot.get_updates())[-1]
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"


async def test_dispatcher_polling_answers_start(
    bot: Bot, sandbox: BotAPISandbox, account: SandboxBot
) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message(CommandStart())
    async def start(message: Message) -> None:
        assert message.from_user is not None
        await message.answer(f"<b>欢迎</b>, {html.escape(message.from_user.first_name)}!", parse_mode="HTML")

    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=5))
    person = sandbox.add_user(1003, "<Lily>")
    update = sandbox.send_text(account.token, person, "/start@portcrm_bot")
    reply = await sandbox.wait_for_reply(person, after=update)
    assert reply.text == "欢迎, <Lily>!"
    assert reply.entities == ({"type": "bold", "offset": 0, "length": 2},)
    await sandbox.wait_idle()
    await dispatcher.stop_polling()
    await polling
    assert sandbox.rejected == []


async def test_wait_for_reply_explains_a_refused_call(
    sandbox: BotAPISandbox, bot: Bot, user: SandboxUser
) -> None:
    marker = sandbox.mark()
    with pytest.raises(Exception, match="can't parse entities"):
        await bot.send_message(user.id, "1 < 2", parse_mode="HTML")
    with pytest.raises(
        TimeoutError, match=r"refused calls: sendMessage -> 400 Bad Request: can't parse entities"
    ):
        await sandbox.wait_for_reply(user, after=marker, timeout=0.05)


async def test_webhook_delivery_retries_until_2xx(account: SandboxBot) -> None:
    received: list[tuple[int, str | None]] = []
    answers = [500, 200]

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        received.append((update["update_id"], request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response(status=answers.pop(0))

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    async with BotAPISandbox(webhook_retry_delay=0.01) as sandbox:
        sandbox.add_bot(account.token)
        client = make_bot(sandbox, account.token)
        try:
            await client.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
            with pytest.raises(TelegramConflictError, match="webhook is active"):
                await client.get_updates()
            update = sandbox.send_text(account.token, sandbox.add_user(7, "Hook"), "hi")
            await sandbox.wait_idle()
            info = await client.get_webhook_info()
        finally:
            await client.session.close()
    await runner.cleanup()
    assert received == [(update["update_id"], "s3cret")] * 2
    assert info.pending_update_count == 0
    assert "500" in (info.last_error_message or "")
