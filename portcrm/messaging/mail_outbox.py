"""The mail outbox: mails to customers written in the same transaction as their cause, sent later.

Like the notification outbox (outbox.py): the idempotency key makes a re-run cause enqueue nothing twice,
and a sender claims one due mail at a time by moving `next_attempt_at` past a lease, sends it and records
the outcome, so a sender killed mid-send repeats at most that one mail, when the lease ends. The Message-ID
is made here, at enqueue, so the repeat is the same message, and replies can thread to it at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import MailStatus, NotificationStatus
from portcrm.models import MailRecord, OutgoingMail, OutgoingMailAttachment
from portcrm.models.base import utcnow
from portcrm.storage.transaction import transactional

MAX_ATTEMPTS = 8
PENDING = NotificationStatus.PENDING
# the right-hand side of the Message-IDs we make: unique per message by its left-hand side; a fixed name,
# as the services that write mail know nothing of the relay's domain
MESSAGE_ID_DOMAIN = "mail.portcrm"


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    mime_type: str
    content: bytes


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@{MESSAGE_ID_DOMAIN}>"


# Mails a person wrote (a staff member's reply) go without `Auto-Submitted`; the ones the system writes
# say so (RFC 3834), and those answering a mail say they reply: other robots then do not answer them.
PERSONAL_KINDS = frozenset({"complaint_staff_reply"})
REPLYING_KINDS = frozenset({"complaint_registered", "mail_unknown_sender"})


async def enqueue_mail(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    to: str,
    subject: str,
    text: str,
    to_name: str | None = None,
    attachments: Sequence[Attachment] = (),
    in_reply_to: str | None = None,
    references: Iterable[str] = (),
    complaint_id: int | None = None,
    contact_id: int | None = None,
) -> bool:
    """Add a mail to the caller's transaction; False when that key was already enqueued."""
    exists = await session.scalar(select(OutgoingMail.id).where(OutgoingMail.idempotency_key == key))
    if exists is not None or any(
        isinstance(o, OutgoingMail) and o.idempotency_key == key for o in session.new
    ):
        return False
    chain = [r for r in references if r]
    if in_reply_to and in_reply_to not in chain:
        chain.append(in_reply_to)
    mail = OutgoingMail(
        idempotency_key=key,
        kind=kind,
        message_id=new_message_id(),
        in_reply_to=in_reply_to,
        references=" ".join(chain[-20:]) or None,  # the newest ids: a long thread's header stays short
        to_address=to,
        to_name=to_name,
        subject=" ".join(subject.split())[:900],  # one line: a header cannot carry a line break
        body=text,
        complaint_id=complaint_id,
        contact_id=contact_id,
    )
    session.add(mail)
    await session.flush()
    session.add_all(
        OutgoingMailAttachment(mail_id=mail.id, file_name=a.name, mime_type=a.mime_type, content=a.content)
        for a in attachments
    )
    return True


@dataclass(frozen=True, slots=True)
class DueMail:
    """A claimed mail as the sender sends it."""

    id: int
    kind: str
    message_id: str
    in_reply_to: str | None
    references: str | None
    to_address: str
    to_name: str | None
    subject: str
    body: str
    attempts: int
    attachments: tuple[Attachment, ...]


@transactional
async def claim_next(
    session: AsyncSession, lease: dt.timedelta, now: dt.datetime | None = None
) -> DueMail | None:
    """The oldest due mail, taken for one send until the lease ends; None when none is due.

    The conditional update is the claim: of two senders racing for one mail only one moves it.
    """
    now = now or utcnow()
    for _ in range(3):
        mail_id = await session.scalar(
            select(OutgoingMail.id)
            .where(OutgoingMail.status == PENDING, OutgoingMail.next_attempt_at <= now)
            .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
            .limit(1)
        )
        if mail_id is None:
            return None
        taken = await session.execute(
            update(OutgoingMail)
            .where(
                OutgoingMail.id == mail_id,
                OutgoingMail.status == PENDING,
                OutgoingMail.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + lease)
        )
        if taken.rowcount:  # type: ignore[attr-defined]
            return await _due(session, mail_id)
    return None


async def _due(session: AsyncSession, mail_id: int) -> DueMail:
    mail = await session.get(OutgoingMail, mail_id)
    assert mail is not None
    files = await session.scalars(
        select(OutgoingMailAttachment).where(OutgoingMailAttachment.mail_id == mail_id).order_by("id")
    )
    return DueMail(
        mail.id,
        mail.kind,
        mail.message_id,
        mail.in_reply_to,
        mail.references,
        mail.to_address,
        mail.to_name,
        mail.subject,
        mail.body,
        mail.attempts,
        tuple(Attachment(f.file_name, f.mime_type, f.content) for f in files),
    )


@transactional
async def record_sent(session: AsyncSession, mail_id: int, sender: str) -> None:
    """Delivered to the relay: sent, and kept in the mail log so a reply to it finds its complaint."""
    mail = await session.get(OutgoingMail, mail_id, with_for_update=True)
    if mail is None or mail.status != PENDING:
        return
    mail.status, mail.sent_at, mail.attempts = NotificationStatus.SENT, utcnow(), mail.attempts + 1
    logged = await session.scalar(select(MailRecord.id).where(MailRecord.message_id == mail.message_id))
    if logged is None:
        count = await session.scalar(
            select(func.count())
            .select_from(OutgoingMailAttachment)
            .where(OutgoingMailAttachment.mail_id == mail_id)
        )
        session.add(
            MailRecord(
                inbound=False,
                message_id=mail.message_id,
                in_reply_to=mail.in_reply_to,
                references=mail.references,
                complaint_id=mail.complaint_id,
                contact_id=mail.contact_id,
                from_address=sender,
                to_address=mail.to_address,
                subject=mail.subject,
                body=mail.body,
                attachments=count or 0,
                status=MailStatus.SENT,
            )
        )


@transactional
async def back_off(session: AsyncSession, mail_id: int, error: str, delay: dt.timedelta) -> bool:
    """Count a failed attempt and try again after `delay`; True when it was the last and the mail failed."""
    mail = await session.get(OutgoingMail, mail_id, with_for_update=True)
    if mail is None or mail.status != PENDING:
        return False
    mail.attempts += 1
    mail.last_error = error[:500]
    if mail.attempts >= MAX_ATTEMPTS:
        mail.status = NotificationStatus.FAILED
        return True
    mail.next_attempt_at = utcnow() + delay
    return False


@transactional
async def postpone(session: AsyncSession, mail_id: int, delay: dt.timedelta) -> None:
    """Not sent, through no fault of the mail (the sender is stopping): due again after `delay`."""
    await session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, OutgoingMail.status == PENDING)
        .values(next_attempt_at=utcnow() + delay)
    )


@transactional
async def mark_failed(session: AsyncSession, mail_id: int, error: str) -> None:
    """Refused for good (a 5xx answer): never tried again."""
    await session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, OutgoingMail.status == PENDING)
        .values(status=NotificationStatus.FAILED, last_error=error[:500], attempts=OutgoingMail.attempts + 1)
    )


async def mark_bounced(session: AsyncSession, message_ids: Iterable[str], error: str) -> int:
    """In the caller's transaction: our mails a delivery report says did not arrive are failed."""
    ids = [m for m in message_ids if m]
    if not ids:
        return 0
    result = await session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.message_id.in_(ids))
        .values(status=NotificationStatus.FAILED, last_error=error[:500])
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def status_counts(session: AsyncSession) -> dict[str, int]:
    """How many mails are pending, sent and failed (for `portcrm outbox status`)."""
    rows = await session.execute(select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status))
    found = {status.value: count for status, count in rows}
    return {
        s.value: found.get(s.value, 0) for s in (PENDING, NotificationStatus.SENT, NotificationStatus.FAILED)
    }
