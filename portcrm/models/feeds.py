"""What the terminal and carrier feeds need remembered: who may post, what came, what waits for a match.

The events themselves become ordinary cargo events (models/shipments.py); these tables only make the feeds
safe to repeat and to receive out of order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portcrm.models.base import Base, utcnow


class FeedSubscription(Base):
    """A DCSA Track & Trace publisher allowed to post events, and the shared secret its posts are signed with.

    The secret must be kept as it is (an HMAC needs it, a hash would not do); it is never logged or shown
    after `portcrm feeds add|rotate-secret` prints it once. A rotated-out secret stays valid until
    `previous_secret_until`, so the publisher can switch over without losing a batch.
    """

    __tablename__ = "feed_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(36), unique=True)  # the Subscription-ID header
    name: Mapped[str] = mapped_column(String(100), unique=True)
    secret: Mapped[str] = mapped_column(String(128))
    previous_secret: Mapped[str | None] = mapped_column(String(128))
    previous_secret_until: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[dt.datetime | None] = mapped_column()


class FeedEventReceipt(Base):
    """One received feed event, by its source's own id: the same event posted again changes nothing."""

    __tablename__ = "feed_event_receipts"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UnmatchedFeedEvent(Base):
    """A feed event naming no known shipment, kept whole until that shipment is imported."""

    __tablename__ = "unmatched_feed_events"
    __table_args__ = (UniqueConstraint("source", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(128))
    container_number: Mapped[str] = mapped_column(String(11), default="", index=True)
    reference: Mapped[str] = mapped_column(String(35), default="", index=True)
    vessel_imo: Mapped[str | None] = mapped_column(String(7))
    voyage: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column()  # the normalised event, to replay on a match
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    matched_at: Mapped[dt.datetime | None] = mapped_column(index=True)


class EdiInterchange(Base):
    """An EDIFACT interchange taken in, by sender and control reference (UNB/UNZ): a repeat is skipped."""

    __tablename__ = "edi_interchanges"
    __table_args__ = (UniqueConstraint("sender", "control_reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(35))
    control_reference: Mapped[str] = mapped_column(String(14))
    file_name: Mapped[str] = mapped_column(String(255))
    messages: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
