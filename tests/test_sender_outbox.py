"""The outbox queries the sender relies on: what is due per chat, claims, and giving up on a chat."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm import outbox
from portcrm.enums import NotificationStatus
from portcrm.models import ChatUser, Notification
from portcrm.models.base import utcnow

LEASE = dt.timedelta(seconds=30)


async def _enqueue(session: AsyncSession, *items: tuple[str, int]) -> dict[str, int]:
    for key, chat_id in items:
        await outbox.enqueue(session, key=key, kind="test", chat_id=chat_id, text=key)
    await session.commit()
    rows = await session.scalars(select(Notification))
    return {row.idempotency_key: row.id for row in rows}


async def _keys(session: AsyncSession, **kwargs: int) -> list[str]:
    return [row.idempotency_key for row in await outbox.due_by_chat(session, **kwargs)]


async def test_due_by_chat_gives_each_chat_its_oldest_and_caps_a_busy_one(session: AsyncSession) -> None:
    await _enqueue(session, *((f"busy-{i}", 1) for i in range(5)), ("quiet", 2))
    assert await _keys(session, per_chat=2, limit=100) == ["busy-0", "busy-1", "quiet"]


async def test_a_claimed_or_backing_off_notification_holds_back_the_rest_of_its_chat(
    session: AsyncSession,
) -> None:
    ids = await _enqueue(session, ("a-0", 1), ("a-1", 1), ("b-0", 2), ("b-1", 2))
    assert await outbox.claim(session, [ids["a-0"]], LEASE)
    await outbox.retry_later(session, ids["b-1"], "502", dt.timedelta(minutes=1))
    assert await _keys(session, per_chat=10, limit=100) == ["b-0"]


async def test_a_claim_is_taken_once(session: AsyncSession) -> None:
    ids = await _enqueue(session, ("x", 1), ("y", 1))
    assert await outbox.claim(session, [ids["x"], ids["y"]], LEASE)
    assert not await outbox.claim(session, [ids["x"], ids["y"]], LEASE)


async def test_a_claim_takes_all_of_a_message_or_nothing(session: AsyncSession) -> None:
    ids = await _enqueue(session, ("x", 1), ("y", 1))
    assert await outbox.claim(session, [ids["y"]], LEASE)
    assert not await outbox.claim(session, [ids["x"], ids["y"]], LEASE)
    assert await outbox.claim(session, [ids["x"]], LEASE)  # the failed claim left x untouched


async def test_waiting_as_telegram_asks_is_not_a_failed_attempt(session: AsyncSession) -> None:
    ids = await _enqueue(session, ("x", 1))
    await outbox.postpone(session, [ids["x"]], dt.timedelta(seconds=5), "Too Many Requests: retry after 5")
    row = await session.get(Notification, ids["x"], populate_existing=True)
    assert row is not None
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 0)
    assert row.next_attempt_at > utcnow()


async def test_notifications_to_a_user_who_blocked_the_bot_are_skipped(session: AsyncSession) -> None:
    await _enqueue(session, ("gone", 7), ("here", 8))
    session.add(ChatUser(telegram_user_id=7, blocked_at=utcnow()))
    await session.commit()
    assert await outbox.skip_blocked(session) == 1
    statuses = {r.idempotency_key: r.status for r in await session.scalars(select(Notification))}
    assert statuses == {"gone": NotificationStatus.UNREACHABLE, "here": NotificationStatus.PENDING}
