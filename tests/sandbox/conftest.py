"""Fixtures: a running sandbox, one bot account, one user, and a real aiogram Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from sandbox import BotAPISandbox, SandboxBot, SandboxUser

TOKEN = "123456:TEST-token_abc"


class LocalSession(AiohttpSession):
    """aiogram's session without the 250 ms pause its close() takes for TLS teardown.

    The sandbox speaks plain HTTP on localhost, so there is nothing to wait for, and the pause
    would dominate the suite's run time.
    """

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(sandbox: BotAPISandbox, token: str = TOKEN) -> Bot:
    """A real aiogram Bot whose HTTP client talks to the sandbox."""
    return Bot(token, session=LocalSession(api=TelegramAPIServer.from_base(sandbox.base_url)))


@pytest.fixture
async def sandbox() -> AsyncIterator[BotAPISandbox]:
    async with BotAPISandbox() as running:
        yield running


@pytest.fixture
def account(sandbox: BotAPISandbox) -> SandboxBot:
    return sandbox.add_bot(TOKEN, username="portcrm_bot", first_name="PortCRM")


@pytest.fixture
def user(sandbox: BotAPISandbox, account: SandboxBot) -> SandboxUser:
    """A user who has started the bot (the sandbox only lets the bot write to such users)."""
    person = sandbox.add_user(1001, "李雷", language_code="zh-hans")
    sandbox.send_text(account.token, person, "/start")
    return person


@pytest.fixture
async def bot(sandbox: BotAPISandbox, account: SandboxBot) -> AsyncIterator[Bot]:
    client = make_bot(sandbox, account.token)
    yield client
    await client.session.close()
