"""The raw HTTP surface: request encodings, Telegram's error shapes and the control API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from sandbox import BotAPISandbox, SandboxBot, SandboxUser


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http: aiohttp.ClientSession, url: str, **kwargs: object) -> tuple[int, dict[str, object]]:
    async with http.post(url, **kwargs) as response:  # type: ignore[arg-type]
        return response.status, await response.json()


async def test_every_encoding_is_accepted(
    http: aiohttp.ClientSession, sandbox: BotAPISandbox, account: SandboxBot, user: SandboxUser
) -> None:
    base = f"{sandbox.base_url}/bot{account.token}"
    async with http.get(f"{base}/getMe") as response:
        assert (await response.json())["result"]["username"] == "portcrm_bot"
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
    status, body = await call(
        http, f"{base}/sendMessage", data={"chat_id": str(user.id), "text": "form", "reply_markup": markup}
    )
    assert status == 200
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"  # type: ignore[index]
    status, body = await call(http, f"{base}/sendMessage", json={"chat_id": user.id, "text": "json"})
    assert status == 200
    async with http.get(f"{base}/sendMessage", params={"chat_id": str(user.id), "text": "query"}) as response:
        assert response.status == 200
    assert [m.text for m in sandbox.messages(user.id)] == ["form", "json", "query"]


async def test_error_shapes(
    http: aiohttp.ClientSession, sandbox: BotAPISandbox, account: SandboxBot, user: SandboxUser
) -> None:
    assert await call(http, f"{sandbox.base_url}/bot999:nope/getMe") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (await call(http, f"{sandbox.base_url}/bot{account.token}/sendPoll"))[0] == 404
    status, body = await call(http, f"{sandbox.base_url}/bot{account.token}/sendMessage", json={"text": "x"})
    assert (status, body["description"]) == (400, "Bad Request: chat_id is empty")
    status, body = await call(
        http,
        f"{sandbox.base_url}/bot{account.token}/sendMessage",
        data={"chat_id": str(user.id), "text": "x", "reply_markup": "{"},
    )
    assert body["description"] == "Bad Request: can't parse reply keyboard markup JSON object"
    sandbox.faults.add("sendMessage", 429, retry_after=5)
    status, body = await call(
        http, f"{sandbox.base_url}/bot{account.token}/sendMessage", json={"chat_id": user.id, "text": "x"}
    )
    assert (status, body["parameters"]) == (429, {"retry_after": 5})
    async with http.get(f"{sandbox.base_url}/file/bot{account.token}/documents/missing") as response:
        assert response.status == 404


async def test_control_api_drives_a_conversation(
    http: aiohttp.ClientSession, sandbox: BotAPISandbox, account: SandboxBot
) -> None:
    control = f"{sandbox.base_url}/sandbox/{account.token}"
    status, body = await call(
        http, f"{control}/send", json={"user_id": 42, "text": "/start", "first_name": "Demo"}
    )
    assert status == 200
    assert body["result"]["message"]["entities"][0]["type"] == "bot_command"  # type: ignore[index]
    keyboard = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    await call(
        http,
        f"{sandbox.base_url}/bot{account.token}/sendMessage",
        json={"chat_id": 42, "text": "hi", "reply_markup": keyboard},
    )
    async with http.get(f"{control}/messages", params={"chat_id": "42"}) as response:
        messages = (await response.json())["result"]
    assert [(m["text"], m["buttons"]) for m in messages] == [("hi", [[["Go", "go"]]])]
    status, body = await call(
        http,
        f"{control}/press",
        json={"user_id": 42, "message_id": messages[0]["message_id"], "button": "Go"},
    )
    assert body["result"]["callback_query"]["data"] == "go"  # type: ignore[index]
    status, body = await call(http, f"{control}/press", json={"user_id": 42, "message_id": 999, "data": "x"})
    assert status == 400
    assert "does not exist" in str(body["description"])


async def test_reply_markers(
    sandbox: BotAPISandbox, account: SandboxBot, user: SandboxUser, http: aiohttp.ClientSession
) -> None:
    send = f"{sandbox.base_url}/bot{account.token}/sendMessage"
    await call(http, send, json={"chat_id": user.id, "text": "first"})
    marker = sandbox.mark()
    await call(http, send, json={"chat_id": user.id, "text": "second", "reply_parameters": {"message_id": 1}})
    assert (await sandbox.wait_for_reply(user, after=1)).text == "second"
    assert [m.text for m in sandbox.replies(user, marker)] == ["second"]
    status, body = await call(
        http, send, json={"chat_id": user.id, "text": "x", "reply_parameters": {"message_id": 99}}
    )
    assert status == 400
    assert body["description"] == "Bad Request: message to be replied not found"
