"""Complaints and their full event history, from intake to root cause and corrective action."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portcrm.enums import ComplaintCategory, ComplaintChannel, ComplaintStatus, Role
from portcrm.models.base import Base, Timestamps, str_enum, utcnow


class Complaint(Timestamps, Base):
    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_status_customer", "status", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(20), unique=True)
    # set by the chat client per draft, so a double-pressed confirm button creates one complaint
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    channel: Mapped[ComplaintChannel] = mapped_column(
        str_enum(ComplaintChannel, 8),
        default=ComplaintChannel.CHAT,
        server_default=ComplaintChannel.CHAT.value,
    )
    category: Mapped[ComplaintCategory] = mapped_column(str_enum(ComplaintCategory))
    department: Mapped[Role] = mapped_column(str_enum(Role, 16))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"))
    shipment_snapshot: Mapped[dict[str, Any] | None] = mapped_column()
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[ComplaintStatus] = mapped_column(
        str_enum(ComplaintStatus), default=ComplaintStatus.SUBMITTED
    )
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column()
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    resolution: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(String(64))
    corrective_action: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column()
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)


class ComplaintEvent(Base):
    """Everything that happened to a complaint in order: status changes, notes, questions, ratings."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[ComplaintStatus | None] = mapped_column(str_enum(ComplaintStatus))
    to_status: Mapped[ComplaintStatus | None] = mapped_column(str_enum(ComplaintStatus))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    text: Mapped[str | None] = mapped_column(Text)


class ComplaintAttachment(Base):
    """A photo or file of a complaint: a Telegram file id when it came in chat, the bytes when by mail."""

    __tablename__ = "complaint_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    telegram_file_id: Mapped[str | None] = mapped_column(String(255))
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    file_name: Mapped[str | None] = mapped_column()
    mime_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
