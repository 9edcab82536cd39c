"""Two webhook instances behind one URL, on one PostgreSQL and one Redis, serve one bot as if one."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from sqlalchemy import select

from bot.runtime.webhook import Listen, serving
from portcrm.enums import NotificationStatus
from portcrm.i18n import gettext_for
from portcrm.messaging import outbox
from portcrm.models import Complaint, JobRun, Notification
from portcrm.settings import Settings
from portcrm.storage.db import Database
from sandbox import BotAPISandbox, SandboxUser, SentMessage
from tests.conftest import REDIS_URL, requires_pg, requires_redis
from tests.factories import make_contact, make_customer, make_shipment

pytestmark = [requires_pg, requires_redis]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class RoundRobin:
    """One public URL in front of the instances, as a load balancer: each request goes to the next one."""

    ports: list[int] = field(default_factory=list)
    served: list[int] = field(default_factory=list)  # which instance took each request, in order
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    async def handle(self, request: web.Request) -> web.Response:
        index = next(self._turn) % len(self.ports)
        self.served.append(index)
        headers = {SECRET_HEADER: request.headers.get(SECRET_HEADER, "")}
        async with (
            aiohttp.ClientSession() as client,
            client.post(
                f"http://127.0.0.1:{self.ports[index]}{request.path}",
                data=await request.read(),
                headers=headers,
            ) as answer,
        ):
            return web.Response(status=answer.status, body=await answer.read())


@contextlib.asynccontextmanager
async def balancer(router: RoundRobin) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/{path:.*}", router.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/telegram/webhook"
    finally:
        await runner.cleanup()


async def _new_reply(
    sandbox: BotAPISandbox, token: str, user: SandboxUser, after: dict[str, object]
) -> SentMessage:
    """The bot's first new message after the update (a prompt is settled, edited, after the next is out)."""
    reply = await sandbox.wait_for_reply(user, after=after, token=token)
    while reply.edited:
        reply = await sandbox.wait_for_reply(user, after=reply, token=token)
    return reply


async def _press_next(
    sandbox: BotAPISandbox, token: str, user: SandboxUser, message: SentMessage, button: str
) -> SentMessage:
    return await _new_reply(sandbox, token, user, sandbox.press(token, user, message, button))


async def test_two_instances_serve_one_bot_with_one_conversation_one_run_and_one_send(
    pg_database_url: str,
) -> None:
    token = f"{random.randrange(7_100_000, 7_199_999)}:PORTCRM-instances"  # its own Redis keys
    port_tz = Settings(_env_file=None).tz
    now = dt.datetime.now(port_tz)
    async with Database(pg_database_url).session() as session:
        customer = await make_customer(session, name="宁波双实例货代有限公司")
        await make_contact(session, customer, name="王芳", telegram_user_id=9601)
        await make_shipment(session, customer)
        await make_contact(
            session,
            customer,
            name="李雷",
            telegram_user_id=9602,
            is_primary=False,
            consent_greetings=True,
            birthday=now.date().replace(year=1980)
            if (now.month, now.day) != (2, 29)
            else dt.date(1980, 2, 29),
        )
        await session.commit()

    router = RoundRobin()
    async with BotAPISandbox() as sandbox, balancer(router) as url:
        sandbox.add_bot(token, username="portcrm_instances_bot")
        customer_user = sandbox.add_user(9601, "王芳", language_code="en")
        greeted = sandbox.add_user(9602, "李雷", language_code="en")
        started = sandbox.state.bots[token].started
        started.update({greeted.id, *range(9700, 9710)})
        for chat in range(9700, 9710):
            sandbox.add_user(chat, f"User {chat}")
        settings = Settings(
            _env_file=None,
            bot_token=token,
            database_url=pg_database_url,
            telegram_api_url=sandbox.base_url,
            redis_url=REDIS_URL,
            morning_hour=now.hour,  # this morning's jobs are due: each instance catches them up at start
        )
        async with contextlib.AsyncExitStack() as instances:
            for _ in range(2):  # started together, as after a deploy
                router.ports.append(
                    await instances.enter_async_context(serving(settings, url, Listen("127.0.0.1", 0)))
                )
            _ = gettext_for("en")

            # a conversation whose successive updates reach alternating instances
            ask = await sandbox.wait_for_reply(
                customer_user, after=sandbox.send_text(token, customer_user, "/complaint"), token=token
            )
            which = await _press_next(sandbox, token, customer_user, ask, _("Delay"))
            describe = await _press_next(sandbox, token, customer_user, which, _("None of these"))
            assert describe.text == _(
                "Please describe the problem: what happened, when, and what you expect from us."
            )
            files = await _new_reply(
                sandbox, token, customer_user, sandbox.send_text(token, customer_user, "Late by two days.")
            )
            summary = await _press_next(sandbox, token, customer_user, files, _("Skip"))
            thanks = await _press_next(sandbox, token, customer_user, summary, _("Submit"))

            # notifications written once, sent by whichever instance's sender claims them first
            db = Database(pg_database_url)
            async with db.session() as session:
                for n in range(20):
                    chat = 9700 + n % 10
                    await outbox.enqueue(session, key=f"i-{n}", kind="test", chat_id=chat, text=f"note {n}")
                await session.commit()
            rows = await _settled(db)

        async with db.session() as session:
            [complaint] = list(await session.scalars(select(Complaint)))
            runs = list(await session.scalars(select(JobRun)))
            await session.commit()
        await db.dispose()

    assert len(set(router.served)) == 2
    assert complaint.ticket in thanks.text
    assert complaint.description == "Late by two days."
    assert {row.status for row in rows} == {NotificationStatus.SENT}
    sent = Counter(message.text for chat in range(9700, 9710) for message in sandbox.messages(chat, token))
    assert sent == Counter(f"note {n}" for n in range(20))  # each once
    assert {run.status for run in runs} == {"done"}
    assert "greetings" in {run.job for run in runs}
    [greeting] = [row for row in rows if row.kind == "greeting"]
    assert [m.text for m in sandbox.messages(greeted.id, token)] == [greeting.text], (
        "the morning's greetings ran once, though both instances caught up at start"
    )


async def _settled(db: Database, timeout: float = 30.0) -> list[Notification]:  # noqa: ASYNC109 - a deadline
    async with asyncio.timeout(timeout):
        while True:
            async with db.session() as session:
                rows = list(await session.scalars(select(Notification)))
                await session.commit()
            if rows and all(row.status != NotificationStatus.PENDING for row in rows):
                return rows
            await asyncio.sleep(0.1)
