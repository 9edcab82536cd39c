"""The forum-topic complaint desk: which staff supergroup is attached, and each complaint's topic in it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portcrm.models.base import Base, utcnow


class DeskGroup(Base):
    """The one staff supergroup (topics on) where each complaint has its topic: one row, or none."""

    __tablename__ = "desk_group"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    attached_by: Mapped[str] = mapped_column(String(64))  # "staff:<id>" or "cli"
    attached_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ComplaintTopic(Base):
    """A complaint's topic in the desk group. `message_thread_id` stays empty until the topic exists; the
    claim (`claimed_by` until `claimed_until`) is taken before createForumTopic, so one sender creates it."""

    __tablename__ = "complaint_topics"
    __table_args__ = (Index("ix_complaint_topics_chat_thread", "chat_id", "message_thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column()
    title: Mapped[str | None] = mapped_column(String(128))  # as last set in Telegram
    titled_at: Mapped[dt.datetime | None] = mapped_column()
    closed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
