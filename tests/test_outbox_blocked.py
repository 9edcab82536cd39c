"""A notification for a user who blocked the bot is never loaded for sending, even before it is skipped."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.messaging import outbox
from portcrm.models import ChatUser
from portcrm.models.base import utcnow


async def test_due_notifications_leave_out_users_who_blocked_the_bot(session: AsyncSession) -> None:
    session.add(ChatUser(telegram_user_id=7, blocked_at=utcnow()))
    for key, chat_id in (("gone", 7), ("here", 8)):
        await outbox.enqueue(session, key=key, kind="test", chat_id=chat_id, text=key)
    await session.commit()
    due = await outbox.due_by_chat(session, per_chat=10, limit=100)  # park_blocked has not run yet
    assert [row.idempotency_key for row in due] == ["here"]
