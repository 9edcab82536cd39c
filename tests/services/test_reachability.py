"""People the bot cannot write to yet: their notifications are parked; released once they can be."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import NotificationStatus
from portcrm.messaging import outbox
from portcrm.models import ChatUser, Notification
from portcrm.services.identity.users import TelegramProfile, identify
from portcrm.services.recipients.reachability import record_not_started, record_returned

STAFF = 7701


async def _statuses(session: AsyncSession) -> dict[str, NotificationStatus]:
    rows = await session.scalars(select(Notification).order_by(Notification.id))
    result = {row.idempotency_key: row.status for row in rows}
    await session.commit()
    return result


async def _parked_for_a_stranger(session: AsyncSession) -> None:
    for key in ("first", "second"):
        await outbox.enqueue(session, key=key, kind="test", chat_id=STAFF, text=key)
    await session.commit()
    assert await record_not_started(session, STAFF, reason="Bad Request: chat not found") == 2


async def test_a_message_in_a_group_releases_nothing_their_private_chat_does(session: AsyncSession) -> None:
    await _parked_for_a_stranger(session)
    user = await session.get(ChatUser, STAFF)
    assert user is not None
    assert user.blocked_at is not None, "remembered, so later notifications are parked untried"
    await outbox.enqueue(session, key="later", kind="test", chat_id=STAFF, text="later")
    await session.commit()
    assert await outbox.park_blocked(session) == 1

    await identify(session, TelegramProfile(STAFF, "孙经理"), "zh_CN", in_private=False)
    assert set((await _statuses(session)).values()) == {NotificationStatus.PARKED}

    await identify(session, TelegramProfile(STAFF, "孙经理"), "zh_CN", in_private=True)
    assert set((await _statuses(session)).values()) == {NotificationStatus.PENDING}
    due = await outbox.due_by_chat(session, per_chat=10, limit=10)
    assert [row.idempotency_key for row in due] == ["first", "second", "later"]


async def test_a_user_who_has_written_meanwhile_is_not_parked(session: AsyncSession) -> None:
    await identify(session, TelegramProfile(STAFF), "en")
    await outbox.enqueue(session, key="crossed", kind="test", chat_id=STAFF, text="crossed")
    await session.commit()
    assert await record_not_started(session, STAFF, reason="Bad Request: chat not found") is None
    assert await _statuses(session) == {"crossed": NotificationStatus.PENDING}


async def test_unblocking_releases_what_was_parked(session: AsyncSession) -> None:
    await _parked_for_a_stranger(session)
    assert await record_returned(session, STAFF) == 2
    assert set((await _statuses(session)).values()) == {NotificationStatus.PENDING}
