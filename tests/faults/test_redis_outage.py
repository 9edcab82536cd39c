"""Redis (conversation state and chat locks when configured) restarting while a user fills a form: the
update is tried again once Redis is back, and the form goes on from where it was, submitted once."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import select

from bot.telegram.retries import is_transient
from portcrm.models import ReceivedUpdate
from portcrm.storage.db import Database
from tests.bot.test_complaints import _company, _to_step
from tests.conftest import REDIS_URL, requires_redis
from tests.faults.outage import TcpProxy
from tests.faults.support import complaints, errors, received
from tests.faults.test_database_outage import _submitted_once, en
from tests.harness import TOKEN, running_bot


def test_redis_unreachable_is_a_failure_that_may_pass() -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    assert is_transient(RedisConnectionError("Connection refused"))
    assert is_transient(RedisTimeoutError("Timeout reading from socket"))


async def _attempts(db: Database, update_id: int) -> int:
    async with db.session() as session:
        attempts = await session.scalar(
            select(ReceivedUpdate.attempts).where(ReceivedUpdate.update_id == update_id)
        )
        await session.commit()
    return attempts or 0


@requires_redis
async def test_a_submit_sent_while_redis_is_down_is_handled_once_it_is_back(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert REDIS_URL is not None
    real = urlsplit(REDIS_URL)
    proxy = TcpProxy(real.hostname or "127.0.0.1", real.port or 6379)
    await proxy.start()
    proxied = urlunsplit(real._replace(netloc=f"127.0.0.1:{proxy.port}"))
    try:
        async with running_bot(database_url, redis_url=proxied) as app:
            await _company(app, 8861)
            user = app.user(8861, language_code="en")
            confirm = await _to_step(app, user, "confirm")  # the draft lives in Redis
            await app.settled()  # the last step's handler is done, its state saved
            await proxy.cut()
            press = app.sandbox.press(TOKEN, user, confirm, en("Submit"))
            async with asyncio.timeout(60):  # its first try failed: the chat's lock or state was unreachable
                while True:
                    if await _attempts(app.db, press["update_id"]) >= 2:
                        break
                    await asyncio.sleep(0.05)
            assert await complaints(app.db) == []
            await proxy.start()
            await app.handled(press, timeout=60)
            await _submitted_once(app, user.id, press)
            assert (await received(app.db, press["update_id"])).attempts in (2, 3)
            assert [m for m in errors(caplog) if "incident" in m.lower()] == [], "tried again, not apologised"
    finally:
        await proxy.stop()
