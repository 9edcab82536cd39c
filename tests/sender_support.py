"""A flood-controlled sandbox and an outbox sender against it, for the sender's tests (no dispatcher)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from sqlalchemy import select

from bot.delivery import OutboxSender
from bot.runtime.app import build_bot
from portcrm.enums import NotificationStatus
from portcrm.messaging import outbox
from portcrm.models import Notification
from portcrm.settings import Settings
from portcrm.storage.db import Database
from sandbox import BotAPISandbox, SandboxUser

TOKEN = "7000002:PORTCRM-sender-token"


@dataclass
class SenderWorld:
    sandbox: BotAPISandbox
    db: Database
    settings: Settings
    bot: Bot
    token: str = TOKEN
    accepted: dict[int, list[float]] = field(default_factory=dict)  # chat id -> when Telegram took a message
    senders: list[tuple[OutboxSender, asyncio.Task[None]]] = field(default_factory=list)

    def started_user(self, user_id: int) -> SandboxUser:
        """A user who has opened the bot (Telegram refuses to write to anyone else)."""
        user = self.sandbox.add_user(user_id, f"User {user_id}", language_code="en")
        self.sandbox.send_text(self.token, user, "/start")
        return user

    async def enqueue(self, *items: tuple[str, int, str], markup: dict[str, Any] | None = None) -> None:
        """(key, chat id, text) notifications, committed together."""
        async with self.db.session() as session:
            for key, chat_id, text in items:
                await outbox.enqueue(
                    session, key=key, kind="test", chat_id=chat_id, text=text, reply_markup=markup
                )
            await session.commit()

    async def rows(self) -> list[Notification]:
        async with self.db.session() as session:
            rows = list(await session.scalars(select(Notification).order_by(Notification.id)))
            await session.commit()
        return rows

    async def settled(self, timeout: float = 30.0) -> list[Notification]:  # noqa: ASYNC109 - a test deadline
        """Every notification once none is pending any more."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = await self.rows()
            if all(row.status != NotificationStatus.PENDING for row in rows):
                return rows
            await asyncio.sleep(0.1)
        raise AssertionError(f"still pending after {timeout}s: {[r.idempotency_key for r in rows]}")

    def texts(self, chat_id: int) -> list[str | None]:
        return [message.text for message in self.sandbox.messages(chat_id, self.token)]

    @property
    def accepted_times(self) -> list[float]:
        """When Telegram took each message, whatever the chat, in order."""
        return sorted(t for times in self.accepted.values() for t in times)

    async def stop(self, sender: OutboxSender) -> None:
        for running, task in self.senders:
            if running is sender:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    @property
    def flood_refusals(self) -> list[Any]:
        return [call for call in self.sandbox.calls if call.status == 429 and not call.injected]


def _record_accepted(world: SenderWorld) -> None:
    """Note the time of every message the flood control let through (the sandbox keeps no call times)."""
    flood = world.sandbox.flood
    check = flood.check

    def recording(token: str, chat_id: int, *, is_group: bool) -> None:
        check(token, chat_id, is_group=is_group)
        world.accepted.setdefault(chat_id, []).append(flood.clock())

    flood.check = recording  # type: ignore[method-assign]


@contextlib.asynccontextmanager
async def sender_world(
    database_url: str,
    *,
    senders: int = 1,
    redis_url: str | None = None,
    token: str = TOKEN,
    **sender_options: Any,
) -> AsyncIterator[SenderWorld]:
    """The sandbox with Telegram's flood limits on, and running senders; stopped on the way out.

    With `redis_url` the senders are instances sharing one Redis (give each test its own `token`: the
    sender lease is per bot).
    """
    async with BotAPISandbox(flood_control=True) as sandbox:
        sandbox.add_bot(token)
        settings = Settings(
            _env_file=None,
            bot_token=token,
            database_url=database_url,
            telegram_api_url=sandbox.base_url,
            redis_url=redis_url,
        )
        db = Database(database_url)
        bot = build_bot(settings)
        world = SenderWorld(sandbox, db, settings, bot, token)
        _record_accepted(world)
        for _ in range(senders):
            sender = OutboxSender(db, bot, settings, interval=0.05, **sender_options)
            world.senders.append((sender, asyncio.create_task(sender.run())))
        try:
            yield world
            assert sandbox.violations == [], f"sent inside a retry_after window: {sandbox.violations}"
        finally:
            for sender, _ in list(world.senders):
                await world.stop(sender)
            await bot.session.close()
            await db.dispose()
