"""The forum-topic desk: the attached staff supergroup, each complaint's topic in it, what is posted there.

Everything meant for the desk group is an outbox row to the group's chat, in the transaction of its cause,
with an `action` that tells the sender what to do (bot/delivery/topics.py): the complaint's card ("card",
rendered by the sender when it goes out, so it is current), a text ("post"), a copy of a customer's photo or
file ("copy"), a new title ("title"), closing or reopening the topic. So the group's traffic shares the
sender's pacing (20 a minute per group), its claims and its retries, and no request goes out inside a
retry_after window. A row whose topic does not exist yet makes the sender create it first, under a claim
taken here (`claim_creation`): an atomic conditional UPDATE, so two senders, instances or racing updates
never both call createForumTopic for one complaint.

Limitation: Telegram cannot list a group's topics, so a crash (or a lost answer) between createForumTopic and
`created` leaves a topic the database does not know; the claim's lease then lets the complaint's topic be
created again. The window is one HTTP answer and one short transaction.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.calendar import PortCalendar
from portcrm.enums import ComplaintStatus
from portcrm.errors import N_, InvalidInput
from portcrm.i18n import gettext_for
from portcrm.messaging import outbox
from portcrm.models import Complaint, ComplaintEvent, ComplaintTopic, Customer, DeskGroup
from portcrm.models.base import utcnow
from portcrm.services.complaints.notices import clip
from portcrm.services.complaints.sla import OPEN_STATUSES, SlaStatus, sla_status
from portcrm.settings import Locale
from portcrm.storage.transaction import transactional

S = ComplaintStatus
TITLE_LIMIT = 128  # Telegram's limit for a topic's name
CLAIM_LEASE = dt.timedelta(seconds=60)  # longer than a createForumTopic with its timeout
MIN_TITLE_INTERVAL = dt.timedelta(minutes=30)  # a topic's title is never edited more often
NOTE_PREFIXES = ("#note", "//")  # a message in a topic starting so stays with the staff
KIND = "desk"  # the outbox kind of every desk row


class NotAForum(InvalidInput):
    message = N_("That chat is not a supergroup with topics enabled.")


class CannotManageTopics(InvalidInput):
    message = N_("The bot must be an administrator of the group with the right to manage topics.")


@dataclass(frozen=True, slots=True)
class Target:
    """Where a desk row goes: the topic's thread (None: not created yet) and whether it is closed."""

    chat_id: int
    message_thread_id: int | None
    closed: bool
    title: str | None


async def desk_chat(session: AsyncSession) -> int | None:
    """The attached desk group's chat id, or None while no group is attached."""
    return await session.scalar(select(DeskGroup.chat_id))


@transactional
async def attached(session: AsyncSession) -> DeskGroup | None:
    return await session.get(DeskGroup, 1)


@transactional
async def attach(session: AsyncSession, chat_id: int, attached_by: str) -> int:
    """Make this supergroup the desk (the caller checked it is a forum where the bot manages topics); every
    open complaint without a topic there gets one, with its card. Returns how many were queued."""
    if chat_id >= 0:
        raise NotAForum()
    current = await session.get(DeskGroup, 1)
    if current is None:
        session.add(DeskGroup(id=1, chat_id=chat_id, attached_by=attached_by, attached_at=utcnow()))
    else:
        if current.chat_id != chat_id:  # topics of another group are of no use here
            await session.execute(delete(ComplaintTopic).where(ComplaintTopic.chat_id != chat_id))
        current.chat_id, current.attached_by, current.attached_at = chat_id, attached_by, utcnow()
    await session.flush()
    waiting = await session.scalars(
        select(Complaint)
        .where(Complaint.status.in_(OPEN_STATUSES | {S.RESOLVED}))
        .where(~Complaint.id.in_(select(ComplaintTopic.complaint_id)))
        .order_by(Complaint.id)
    )
    queued = 0
    for complaint in waiting:
        queued += await open_topic(session, complaint, chat_id=chat_id)
    return queued


@transactional
async def detach(session: AsyncSession) -> int | None:
    """No desk group any more: nothing more is queued for it (what is queued still goes out)."""
    current = await session.get(DeskGroup, 1)
    if current is None:
        return None
    await session.delete(current)
    return current.chat_id


def _row(complaint_id: int, op: str, **values: Any) -> dict[str, Any]:
    return {"op": op, "complaint": complaint_id, **values}


async def _enqueue(
    session: AsyncSession,
    chat_id: int,
    key: str,
    action: dict[str, Any],
    text: str = "",
    reply_markup: dict[str, Any] | None = None,
) -> bool:
    if not await outbox.enqueue(
        session, key=key, kind=KIND, chat_id=chat_id, text=text or "—", reply_markup=reply_markup
    ):
        return False
    for row in session.new:  # the row just added: give it its action
        if getattr(row, "idempotency_key", None) == key:
            row.action = action
    return True


async def open_topic(session: AsyncSession, complaint: Complaint, *, chat_id: int | None = None) -> bool:
    """A new complaint (or one found without a topic when the desk is attached): its topic row, and its
    card as the topic's first post. Nothing while no desk group is attached."""
    chat_id = chat_id if chat_id is not None else await desk_chat(session)
    if chat_id is None:
        return False
    existing = await session.scalar(select(ComplaintTopic).where(ComplaintTopic.complaint_id == complaint.id))
    if existing is None:
        session.add(ComplaintTopic(complaint_id=complaint.id, chat_id=chat_id))
        await session.flush()
    return await _enqueue(session, chat_id, f"desk:{complaint.id}:card:{chat_id}", _row(complaint.id, "card"))


async def _topic_chat(session: AsyncSession, complaint: Complaint) -> int | None:
    """The desk group, for a complaint that has (or is to have) a topic there; None otherwise."""
    chat_id = await desk_chat(session)
    if chat_id is None:
        return None
    if await session.scalar(select(ComplaintTopic.id).where(ComplaintTopic.complaint_id == complaint.id)):
        return chat_id
    await open_topic(session, complaint, chat_id=chat_id)  # an older complaint: its topic comes first
    return chat_id


async def post(session: AsyncSession, complaint: Complaint, key: str, text: str) -> bool:
    """A text into the complaint's topic (HTML, within Telegram's 4096 characters)."""
    chat_id = await _topic_chat(session, complaint)
    if chat_id is None:
        return False
    return await _enqueue(session, chat_id, f"desk:{complaint.id}:{key}", _row(complaint.id, "post"), text)


async def copy_into_topic(
    session: AsyncSession, complaint: Complaint, key: str, from_chat_id: int, message_id: int, caption: str
) -> bool:
    """A photo or file someone sent the bot, copied into the complaint's topic with `caption` (HTML)."""
    chat_id = await _topic_chat(session, complaint)
    if chat_id is None:
        return False
    action = _row(complaint.id, "copy", from_chat=from_chat_id, message=message_id, caption=caption)
    return await _enqueue(session, chat_id, f"desk:{complaint.id}:{key}", action)


async def set_closed(session: AsyncSession, complaint: Complaint, key: str, closed: bool) -> bool:
    """Close the topic with its complaint, or reopen it (the sender skips what is already so)."""
    chat_id = await _topic_chat(session, complaint)
    if chat_id is None:
        return False
    op = "close" if closed else "reopen"
    return await _enqueue(session, chat_id, f"desk:{complaint.id}:{op}:{key}", _row(complaint.id, op))


@transactional
async def complaint_in_topic(session: AsyncSession, chat_id: int, thread_id: int) -> int | None:
    """The complaint whose topic this is, in the attached desk group; None for any other topic or group."""
    return await session.scalar(
        select(ComplaintTopic.complaint_id)
        .join(DeskGroup, DeskGroup.chat_id == ComplaintTopic.chat_id)
        .where(ComplaintTopic.chat_id == chat_id, ComplaintTopic.message_thread_id == thread_id)
    )


async def target(session: AsyncSession, complaint_id: int) -> Target | None:
    row = await session.scalar(select(ComplaintTopic).where(ComplaintTopic.complaint_id == complaint_id))
    if row is None:
        return None
    return Target(row.chat_id, row.message_thread_id, row.closed, row.title)


async def claim_creation(
    session: AsyncSession, complaint_id: int, owner: str, *, now: dt.datetime | None = None
) -> bool:
    """Take the right to create this complaint's topic: one atomic conditional UPDATE, so of any number of
    senders and instances racing for it one gets True, until its lease ends (SQLite and PostgreSQL)."""
    now = now or utcnow()
    row = ComplaintTopic
    result = await session.execute(
        update(row)
        .where(row.complaint_id == complaint_id, row.message_thread_id.is_(None))
        .where(or_(row.claimed_until.is_(None), row.claimed_until < now, row.claimed_by == owner))
        .values(claimed_by=owner, claimed_until=now + CLAIM_LEASE)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def creation_title(
    session: AsyncSession, complaint_id: int, calendar: PortCalendar, locale: Locale, now: dt.datetime
) -> str:
    complaint = await session.get(Complaint, complaint_id)
    assert complaint is not None
    return await _title(session, complaint, calendar, locale, now)


async def created(session: AsyncSession, complaint_id: int, thread_id: int, title: str) -> None:
    """The topic exists: its thread, saved at once in its own short transaction (see the module's note)."""
    await session.execute(
        update(ComplaintTopic)
        .where(ComplaintTopic.complaint_id == complaint_id)
        .values(
            message_thread_id=thread_id,
            title=title,
            titled_at=utcnow(),
            claimed_by=None,
            claimed_until=None,
        )
    )


async def release_claim(session: AsyncSession, complaint_id: int, owner: str) -> None:
    """The creation failed for sure (Telegram refused it): whoever comes next may try."""
    await session.execute(
        update(ComplaintTopic)
        .where(ComplaintTopic.complaint_id == complaint_id, ComplaintTopic.claimed_by == owner)
        .values(claimed_by=None, claimed_until=None)
    )


async def titled(session: AsyncSession, complaint_id: int, title: str) -> None:
    await session.execute(
        update(ComplaintTopic)
        .where(ComplaintTopic.complaint_id == complaint_id)
        .values(title=title, titled_at=utcnow())
    )


async def closed(session: AsyncSession, complaint_id: int, is_closed: bool) -> None:
    await session.execute(
        update(ComplaintTopic).where(ComplaintTopic.complaint_id == complaint_id).values(closed=is_closed)
    )


def title_text(
    ticket: str, customer: str, status: ComplaintStatus, sla: SlaStatus, locale: Locale, day: dt.timedelta
) -> str:
    """ "CP-2026-000012 · 华海货代 · 3h left": reference, customer, SLA bucket; at most 128 characters. The
    bucket moves by the hour under ten hours left, else by the working day, so titles change seldom."""
    _ = gettext_for(locale)
    if status == S.CLOSED:
        state = _("closed")
    elif status == S.RESOLVED:
        state = _("resolved")
    elif sla.paused:
        state = _("waiting for customer")
    elif sla.current.overdue:
        state = _("overdue")
    else:
        left = sla.current.remaining
        if left < dt.timedelta(hours=1):
            state = _("<1h left")
        elif left < dt.timedelta(hours=10):
            state = _("{hours}h left").format(hours=int(left.total_seconds() // 3600))
        else:
            state = _("{days}d left").format(days=int(left / day))
    head = f"{ticket} · "
    tail = f" · {state}"
    room = TITLE_LIMIT - len(head) - len(tail)
    return head + clip(customer, max(room, 1)) + tail


async def _title(
    session: AsyncSession, complaint: Complaint, calendar: PortCalendar, locale: Locale, now: dt.datetime
) -> str:
    customer = await session.get(Customer, complaint.customer_id)
    events = await session.scalars(
        select(ComplaintEvent).where(
            ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "status"
        )
    )
    sla = sla_status(complaint, list(events), calendar, now)
    name = customer.name if customer else "—"
    return title_text(complaint.ticket, name, complaint.status, sla, locale, calendar.day_length)


async def retitle(
    session: AsyncSession,
    complaint: Complaint,
    sla: SlaStatus,
    customer_name: str,
    calendar: PortCalendar,
    locale: Locale,
    now: dt.datetime,
) -> bool:
    """Queue a new title when the shown SLA bucket changed, and the last edit is MIN_TITLE_INTERVAL old."""
    row = await session.scalar(select(ComplaintTopic).where(ComplaintTopic.complaint_id == complaint.id))
    if row is None or row.message_thread_id is None or row.closed:
        return False
    title = title_text(complaint.ticket, customer_name, complaint.status, sla, locale, calendar.day_length)
    if title == row.title or (row.titled_at is not None and now - row.titled_at < MIN_TITLE_INTERVAL):
        return False
    key = f"desk:{complaint.id}:title:{now.isoformat(timespec='minutes')}"
    return await _enqueue(session, row.chat_id, key, _row(complaint.id, "title", title=title))


def signed(name: str, text: str) -> str:
    """A message from the desk as the customer reads it: who wrote it, then what they wrote."""
    return f"<b>{html.escape(name)}</b>:\n{html.escape(text)}"


def is_note(text: str | None) -> bool:
    return bool(text) and text.lstrip().lower().startswith(NOTE_PREFIXES)  # type: ignore[union-attr]


def note_text(text: str) -> str:
    stripped = text.lstrip()
    for prefix in NOTE_PREFIXES:
        if stripped.lower().startswith(prefix):
            return stripped[len(prefix) :].strip()
    return stripped
