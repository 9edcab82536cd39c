"""The receivables ledger: invoices and the payments that settle them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portcrm.models.base import Base, Timestamps, utcnow


class Invoice(Timestamps, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_open_due", "settled", "due_on"),
        # a customer's open invoices (/balance, statements): SQLite without statistics would otherwise pick
        # ix_invoices_open_due for `settled IS 0` and read every open invoice of the port
        Index("ix_invoices_customer_open", "customer_id", "settled", "due_on"),
        # a shipment's overdue invoices: the payment hold of "can I pick up?" on every card and feed batch
        Index("ix_invoices_shipment_open", "shipment_id", "settled", "due_on"),
        CheckConstraint("amount > 0", name="positive_amount"),
        CheckConstraint("paid_amount >= 0 AND paid_amount <= amount", name="paid_within_amount"),
    )
    audited: ClassVar[bool] = True

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"))
    issued_on: Mapped[dt.date] = mapped_column()
    due_on: Mapped[dt.date] = mapped_column()
    amount: Mapped[Decimal] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    paid_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    description: Mapped[str | None] = mapped_column(String(500))
    settled: Mapped[bool] = mapped_column(default=False)
    legal_action_since: Mapped[dt.date | None] = mapped_column()
    # the day finance and the account manager were told it became overdue: each invoice is announced once
    overdue_alerted_on: Mapped[dt.date | None] = mapped_column()

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid_amount


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount > 0", name="positive_amount"),)
    audited: ClassVar[bool] = True

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    paid_on: Mapped[dt.date] = mapped_column()
    amount: Mapped[Decimal] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str | None] = mapped_column(String(32))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
