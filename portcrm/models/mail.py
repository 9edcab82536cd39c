"""The complaint mailbox's log of mail in and out, and the outbox of mail to customers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portcrm.enums import MailStatus, NotificationStatus
from portcrm.models.base import Base, str_enum, utcnow

ADDRESS = String(320)  # RFC 5321: 64 for the local part, 255 for the domain


class MailRecord(Base):
    """A mail the receiver took (whatever became of it) or one the sender delivered, by its Message-ID.

    The unique Message-ID makes a mail the relay hands over twice count once, and lets a reply find the
    complaint of the mail it answers (`In-Reply-To`, `References`).
    """

    __tablename__ = "mail_log"
    __table_args__ = (Index("ix_mail_log_status_received", "status", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound: Mapped[bool] = mapped_column()
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(Text)
    references: Mapped[str | None] = mapped_column(Text)
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaints.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    from_address: Mapped[str] = mapped_column(ADDRESS)
    from_name: Mapped[str | None] = mapped_column()
    to_address: Mapped[str] = mapped_column(ADDRESS)
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[int] = mapped_column(default=0)  # how many it carried
    status: Mapped[MailStatus] = mapped_column(str_enum(MailStatus, 16))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OutgoingMail(Base):
    """The mail outbox: written in the same transaction as its cause, sent later once per key.

    The Message-ID is made when the mail is written, so a send repeated after a crash is the same message
    (a receiving server or client that saw it already can tell). Like `Notification`: a sender claims a
    due mail by moving `next_attempt_at` past its lease, and records the outcome.
    """

    __tablename__ = "outgoing_mails"
    __table_args__ = (Index("ix_outgoing_mails_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(255))
    references: Mapped[str | None] = mapped_column(Text)
    to_address: Mapped[str] = mapped_column(ADDRESS)
    to_name: Mapped[str | None] = mapped_column()
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    status: Mapped[NotificationStatus] = mapped_column(
        str_enum(NotificationStatus, 16), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column()


class OutgoingMailAttachment(Base):
    __tablename__ = "outgoing_mail_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("outgoing_mails.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column()
    mime_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
