"""The notification outbox: rows written in the same transaction as their cause, delivered later.

Callers add a notification and commit it together with whatever caused it, so a push is never promised
for a change that rolled back, nor lost for one that committed. The idempotency key makes re-running a
cause (an import, a job) enqueue nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Select, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import NotificationStatus
from portcrm.models import ChatUser, Notification
from portcrm.models.base import utcnow
from portcrm.storage.transaction import transactional

MAX_ATTEMPTS = 8
PENDING = NotificationStatus.PENDING
DUE_CHAT_STEPS = 4  # index walks per pass at most, each skipping the chats already found


def inline_keyboard(*rows: list[tuple[str, str]]) -> dict[str, Any]:
    """A Telegram inline keyboard as JSON: rows of (label, callback data)."""
    return {
        "inline_keyboard": [[{"text": label, "callback_data": data} for label, data in row] for row in rows]
    }


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    chat_id: int,
    text: str,
    reply_markup: dict[str, Any] | None = None,
    contact_id: int | None = None,
    staff_id: int | None = None,
) -> bool:
    """Add a notification to the caller's transaction; False when that key was already enqueued."""
    exists = await session.scalar(select(Notification.id).where(Notification.idempotency_key == key))
    if exists is not None or any(
        isinstance(o, Notification) and o.idempotency_key == key for o in session.new
    ):
        return False
    session.add(
        Notification(
            idempotency_key=key,
            kind=kind,
            chat_id=chat_id,
            text=text,
            reply_markup=reply_markup,
            contact_id=contact_id,
            staff_id=staff_id,
        )
    )
    return True


class Due(Protocol):
    """A due notification as the sender reads it: the columns it sends, no ORM object to build and track."""

    @property
    def id(self) -> int: ...
    @property
    def chat_id(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def reply_markup(self) -> dict[str, Any] | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def action(self) -> dict[str, Any] | None: ...


DUE_COLUMNS = (
    Notification.id,
    Notification.chat_id,
    Notification.text,
    Notification.reply_markup,
    Notification.attempts,
    Notification.idempotency_key,
    Notification.action,
)


@transactional
async def due_by_chat(
    session: AsyncSession, *, per_chat: int, limit: int, now: dt.datetime | None = None
) -> list[Due]:
    """The oldest due notifications of each chat, oldest first, at most `per_chat` of one chat.

    A chat's later notifications wait while an earlier one is backing off or claimed by a sender, so each
    chat receives its notifications in the order they were written; one busy chat cannot crowd out the rest.
    The work is proportional to the chats served, not to the outbox: the chats come from the due index in the
    order they came due, and only their own pending rows are ranked. A user who blocked the bot is left out
    here too, not only by `park_blocked`: a notification written between the two would otherwise be tried.
    Rows of plain columns (`Due`), not ORM objects: a pass loads hundreds, and building, tracking and
    collecting that many objects was a good part of the sender's cost per message (bench/delivery.py).
    """
    now = now or utcnow()
    chats = await _due_chats(session, now, limit)
    if not chats:
        return []
    window = {"partition_by": Notification.chat_id, "order_by": Notification.id}
    ranked = (
        select(
            Notification.id,
            func.row_number().over(**window).label("rank"),
            func.max(case((Notification.next_attempt_at > now, 1), else_=0)).over(**window).label("held"),
        )
        .where(
            Notification.status == PENDING,
            Notification.chat_id.in_(chats),
            Notification.chat_id.not_in(_blocked_users()),
        )
        .subquery()
    )
    rows = await (await session.connection()).execute(
        select(*DUE_COLUMNS)
        .join(ranked, ranked.c.id == Notification.id)
        .where(ranked.c.rank <= per_chat, ranked.c.held == 0)
        .order_by(Notification.id)
        .limit(limit)
    )
    return list(rows)  # type: ignore[arg-type]  # a Row has the columns as attributes


async def _due_chats(session: AsyncSession, now: dt.datetime, limit: int) -> list[int]:
    """Up to `limit` chats with a due notification, in the order their first one came due.

    A walk along the (status, next_attempt_at) index; each further step starts where the last ended and
    skips the chats already found, so a chat with thousands of due rows costs one step, not thousands.
    """
    found: dict[int, None] = {}
    since: dt.datetime | None = None
    for _ in range(DUE_CHAT_STEPS):
        query = select(Notification.chat_id, Notification.next_attempt_at).where(
            Notification.status == PENDING, Notification.next_attempt_at <= now
        )
        if since is not None:  # every row before the last one seen belongs to a chat already found
            query = query.where(Notification.next_attempt_at >= since, Notification.chat_id.not_in(found))
        step = (await session.execute(query.order_by(Notification.next_attempt_at).limit(limit))).all()
        found.update(dict.fromkeys(chat_id for chat_id, _ in step))
        if len(step) < limit or len(found) >= limit:
            break
        since = step[-1][1]
    return list(found)[:limit]


async def claim(session: AsyncSession, ids: Sequence[int], lease: dt.timedelta) -> bool:
    """Take these notifications for one send, all of them or none; True when this sender has them."""
    return (await claim_many(session, [ids], lease))[0]


@transactional
async def claim_many(
    session: AsyncSession, messages: Sequence[Sequence[int]], lease: dt.timedelta
) -> list[bool]:
    """Take the notifications of several messages in one transaction, each message all or none.

    The claim moves `next_attempt_at` past the send's deadline: no other sender sees the rows as due
    meanwhile, and if this one dies before recording the outcome they come due again when the lease ends.
    All or none, because a digest's notifications are one message and a chat's order must hold: a sender
    that finds any of them taken leaves the chat to whoever took it. Returns, per message, whether it is ours.
    """
    now = utcnow()
    wanted = [notification_id for ids in messages for notification_id in ids]
    taken = set(
        await session.scalars(
            update(Notification)
            .where(
                Notification.id.in_(wanted),
                Notification.status == PENDING,
                Notification.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + lease)
            .returning(Notification.id)
        )
    )
    claimed = [taken.issuperset(ids) for ids in messages]
    partly = [i for ids, ours in zip(messages, claimed, strict=True) if not ours for i in ids if i in taken]
    if partly:  # give back what was taken of a message that cannot go whole
        await session.execute(
            update(Notification).where(Notification.id.in_(partly)).values(next_attempt_at=now)
        )
    return claimed


@transactional
async def release(session: AsyncSession, ids: Sequence[int]) -> None:
    """Give back claimed notifications that were not sent after all: due again at once."""
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == PENDING)
        .values(next_attempt_at=utcnow())
    )


@transactional
async def extend_claim(session: AsyncSession, ids: Sequence[int], lease: dt.timedelta) -> None:
    """Keep a claim while its send is still in flight."""
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == PENDING)
        .values(next_attempt_at=utcnow() + lease)
    )


@transactional
async def record_sent(session: AsyncSession, messages: Sequence[tuple[Sequence[int], int | None]]) -> None:
    """Record delivered messages, (notification ids, Telegram message id) each, in one transaction."""
    table = Notification.__table__
    await (await session.connection()).execute(
        update(table)
        .where(table.c.id == bindparam("notification_id"))
        .values(
            status=NotificationStatus.SENT,
            sent_at=utcnow(),
            telegram_message_id=bindparam("message_id"),
            attempts=table.c.attempts + 1,
        ),
        [{"notification_id": i, "message_id": message_id} for ids, message_id in messages for i in ids],
    )


@transactional
async def postpone(session: AsyncSession, ids: Sequence[int], delay: dt.timedelta, error: str | None) -> None:
    """Try again after `delay` without counting an attempt (Telegram asked us to wait; nothing failed)."""
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == PENDING)
        .values(
            next_attempt_at=utcnow() + delay, last_error=error[:500] if error else Notification.last_error
        )
    )


async def park_chat(session: AsyncSession, chat_id: int, error: str) -> int:
    """In the caller's transaction: the chat's pending notifications wait until the person can be reached.

    A user who blocked the bot, or never started it, can be written to once they (re)start it; what was
    meant for them meanwhile is kept, in order, and `release_parked` hands it back to the sender then.
    """
    result = await session.execute(
        update(Notification)
        .where(Notification.chat_id == chat_id, Notification.status == PENDING)
        .values(status=NotificationStatus.PARKED, last_error=error[:500])
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def release_parked(session: AsyncSession, chat_id: int) -> int:
    """In the caller's transaction: the person can be reached again, so their parked notifications are due.

    They keep their ids, and the sender takes a chat's notifications oldest first: they arrive in the order
    they were written, each once (a claim makes each one a single send).
    """
    result = await session.execute(
        update(Notification)
        .where(Notification.chat_id == chat_id, Notification.status == NotificationStatus.PARKED)
        .values(status=PENDING, next_attempt_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@transactional
async def mark_unreachable_chat(session: AsyncSession, chat_id: int, error: str) -> int:
    """Every pending notification of a chat nobody can write to (a group that removed the bot) is given up."""
    result = await session.execute(
        update(Notification)
        .where(Notification.chat_id == chat_id, Notification.status == PENDING)
        .values(status=NotificationStatus.UNREACHABLE, last_error=error[:500])
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _blocked_users() -> Select[tuple[int]]:
    return select(ChatUser.telegram_user_id).where(ChatUser.blocked_at.is_not(None))


@transactional
async def park_blocked(session: AsyncSession) -> int:
    """Pending notifications to users who cannot be reached are parked without a Bot API call.

    Driven by the few unreachable users through the chat index, so it does not grow with the outbox.
    """
    result = await session.execute(
        update(Notification)
        .where(Notification.status == PENDING, Notification.chat_id.in_(_blocked_users()))
        .values(status=NotificationStatus.PARKED, last_error="the user cannot be reached yet")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def mark_failed(session: AsyncSession, notification_id: int, error: str) -> None:
    await _finish(session, notification_id, NotificationStatus.FAILED, error)


async def retry_later(session: AsyncSession, notification_id: int, error: str, delay: dt.timedelta) -> None:
    """Back off; after MAX_ATTEMPTS the notification is given up as failed."""
    await back_off(session, [notification_id], error, delay)


@transactional
async def back_off(session: AsyncSession, ids: Sequence[int], error: str, delay: dt.timedelta) -> None:
    """Count a failed attempt for each and try again after `delay`, or give up after MAX_ATTEMPTS."""
    rows = await session.scalars(select(Notification).where(Notification.id.in_(ids)).with_for_update())
    for row in rows:
        row.attempts += 1
        row.last_error = error[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = NotificationStatus.FAILED
        else:
            row.next_attempt_at = utcnow() + delay


@transactional
async def _finish(
    session: AsyncSession, notification_id: int, status: NotificationStatus, error: str
) -> None:
    row = await session.get(Notification, notification_id, with_for_update=True)
    if row is not None:
        row.status, row.last_error = status, error[:500]
        row.attempts += 1


@transactional
async def unsent_to(session: AsyncSession, chat_ids: Sequence[int]) -> int:
    """Notifications to these chats still to go out: due, claimed by a sender, or waiting for a retry (a
    scripted demo waits for them before its next line)."""
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.chat_id.in_(chat_ids), Notification.status == PENDING)
    )
    return count or 0


async def status_counts(session: AsyncSession) -> dict[str, int]:
    """How many notifications are in each state, every state listed (for `portcrm outbox status`)."""
    rows = await session.execute(select(Notification.status, func.count()).group_by(Notification.status))
    found = {status.value: count for status, count in rows}
    return {status.value: found.get(status.value, 0) for status in NotificationStatus}
