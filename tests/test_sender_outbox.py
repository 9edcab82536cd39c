"""The outbox queries the sender relies on: what is due per chat, claims, and giving up on a chat."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import NotificationStatus
from portcrm.messaging import outbox
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


async def test_notifications_to_a_user_who_blocked_the_bot_are_parked(session: AsyncSession) -> None:
    await _enqueue(session, ("gone", 7), ("here", 8))
    session.add(ChatUser(telegram_user_id=7, blocked_at=utcnow()))
    await session.commit()
    assert await outbox.park_blocked(session) == 1
    statuses = {r.idempotency_key: r.status for r in await session.scalars(select(Notification))}
    assert statuses == {"gone": NotificationStatus.PARKED, "here": NotificationStatus.PENDING}


async def test_a_chat_with_a_long_backlog_does_not_hide_the_chats_behind_it(session: AsyncSession) -> None:
    await _enqueue(session, *((f"busy-{i}", 1) for i in range(30)), ("quiet", 2))
    assert await _keys(session, per_chat=2, limit=5) == ["busy-0", "busy-1", "quiet"]


async def test_notifications_behind_one_that_came_due_again_later_wait_for_it(session: AsyncSession) -> None:
    ids = await _enqueue(session, ("a-0", 1), ("a-1", 1), ("b-0", 2))
    assert await outbox.claim(session, [ids["a-0"]], dt.timedelta(0))  # a lease that ended: due again
    assert await _keys(session, per_chat=10, limit=1) == ["a-0"]  # not a-1, though it came due first
    assert await _keys(session, per_chat=10, limit=100) == ["a-0", "a-1", "b-0"]


async def test_several_messages_are_claimed_in_one_go_each_whole_or_not_at_all(session: AsyncSession) -> None:
    ids = await _enqueue(session, ("x", 1), ("y", 1), ("z", 2), ("w", 3))
    assert await outbox.claim(session, [ids["y"]], LEASE)
    messages = [[ids["x"], ids["y"]], [ids["z"]], [ids["w"]]]
    assert await outbox.claim_many(session, messages, LEASE) == [False, True, True]
    assert await outbox.claim(session, [ids["x"]], LEASE)  # the digest it could not take whole was left alone


async def test_sends_are_recorded_together_and_unsent_claims_are_given_back(session: AsyncSession) -> None:
    ids = await _enqueue(session, ("a", 1), ("b", 1), ("c", 2), ("d", 3))
    assert all(await outbox.claim_many(session, [[ids["a"], ids["b"]], [ids["c"]], [ids["d"]]], LEASE))
    await outbox.record_sent(session, [([ids["a"], ids["b"]], 11), ([ids["c"]], 12)])
    await outbox.release(session, [ids["d"]])
    rows = {r.idempotency_key: r for r in await session.scalars(select(Notification))}
    assert [(rows[k].status, rows[k].telegram_message_id, rows[k].attempts) for k in "abc"] == [
        (NotificationStatus.SENT, 11, 1),
        (NotificationStatus.SENT, 11, 1),
        (NotificationStatus.SENT, 12, 1),
    ]
    assert await _keys(session, per_chat=10, limit=100) == ["d"]


async def test_pending_notifications_of_users_who_blocked_the_bot_are_parked_and_never_due(
    session: AsyncSession,
) -> None:
    await _enqueue(session, ("gone", 7), ("also-gone", 9), ("here", 8))
    session.add_all(
        [ChatUser(telegram_user_id=7, blocked_at=utcnow()), ChatUser(telegram_user_id=9, blocked_at=utcnow())]
    )
    await session.commit()
    assert await _keys(session, per_chat=10, limit=100) == ["here"]  # never due, even before the skip
    assert await outbox.park_blocked(session) == 2
    statuses = {r.idempotency_key: r.status for r in await session.scalars(select(Notification))}
    assert statuses == {
        "gone": NotificationStatus.PARKED,
        "also-gone": NotificationStatus.PARKED,
        "here": NotificationStatus.PENDING,
    }
