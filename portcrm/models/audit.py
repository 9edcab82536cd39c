"""The audit log: one row per changed field of customer data. Written by the session hook, never edited.

The database refuses every UPDATE and DELETE (migration 0008), but one: erasing a person's data replaces
the values of the rows about their contact with ERASED_MARKER (or NULL).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portcrm.models.base import Base, utcnow

ERASED_MARKER = "[erased]"  # the migration's triggers accept this value and NULL, nothing else


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    source: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column()
    customer_id: Mapped[int | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(8))
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
