"""Confirmed sends are recorded together when they arrive together (group commit), each exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.recorder import Recorder
from portcrm.enums import NotificationStatus
from portcrm.messaging import outbox
from portcrm.models import Notification
from portcrm.storage.db import Database


async def test_confirmations_arriving_together_share_a_transaction(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.session() as session:
        for n in range(20):
            await outbox.enqueue(session, key=f"k{n}", kind="test", chat_id=100 + n, text="hi")
        await session.commit()
        ids = list(await session.scalars(select(Notification.id).order_by(Notification.id)))
        await session.commit()
    commits: list[int] = []
    record_sent = outbox.record_sent

    async def counting(session: AsyncSession, messages: Sequence[tuple[Sequence[int], int | None]]) -> None:
        commits.append(len(messages))
        await record_sent(session, messages)

    monkeypatch.setattr(outbox, "record_sent", counting)
    recorder = Recorder(db)
    await asyncio.gather(*(recorder.sent([i], 1000 + i) for i in ids))

    assert sum(commits) == 20
    assert len(commits) < 20
    async with db.session() as session:
        rows = list(await session.scalars(select(Notification)))
        await session.commit()
    assert all(
        (row.status, row.telegram_message_id) == (NotificationStatus.SENT, 1000 + row.id) for row in rows
    )
