"""Development and relationship care: leads, agreements, visits and satisfaction surveys."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portcrm.enums import (
    AgreementStatus,
    ContactMethod,
    CustomerType,
    LeadSource,
    LeadStatus,
    ServqualDimension,
    SurveyKind,
)
from portcrm.models.base import Base, Timestamps, str_enum, utcnow


class Visit(Base):
    """A logged contact with a customer; `next_revisit_on` drives the revisit reminders."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_customer_time", "customer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    method: Mapped[ContactMethod] = mapped_column(str_enum(ContactMethod, 16))
    occurred_at: Mapped[dt.datetime] = mapped_column()
    notes: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    next_revisit_on: Mapped[dt.date | None] = mapped_column(index=True)
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Lead(Timestamps, Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_name: Mapped[str] = mapped_column()
    customer_type: Mapped[CustomerType | None] = mapped_column(str_enum(CustomerType))
    source: Mapped[LeadSource] = mapped_column(str_enum(LeadSource, 24))
    source_detail: Mapped[str | None] = mapped_column()
    contact_name: Mapped[str | None] = mapped_column()
    phone: Mapped[str | None] = mapped_column(String(20))
    expected_volume_teu: Mapped[int | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[LeadStatus] = mapped_column(str_enum(LeadStatus, 16), default=LeadStatus.NEW)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    converted_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))


class Agreement(Timestamps, Base):
    """A cooperation agreement (合作协议): rights, duties and the date it is next reviewed."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column()
    services: Mapped[str | None] = mapped_column(Text)
    terms: Mapped[str | None] = mapped_column(Text)
    signed_on: Mapped[dt.date | None] = mapped_column()
    valid_from: Mapped[dt.date] = mapped_column()
    valid_to: Mapped[dt.date | None] = mapped_column()
    next_review_on: Mapped[dt.date | None] = mapped_column()
    status: Mapped[AgreementStatus] = mapped_column(
        str_enum(AgreementStatus, 16), default=AgreementStatus.DRAFT
    )
    annual_volume_commitment_teu: Mapped[int | None] = mapped_column()
    discount_rate: Mapped[Decimal | None] = mapped_column()


class Survey(Base):
    """A SERVQUAL survey sent to one contact for one period (or one closed complaint)."""

    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("contact_id", "kind", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    kind: Mapped[SurveyKind] = mapped_column(str_enum(SurveyKind, 16))
    period: Mapped[str] = mapped_column(String(16))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column()
    comment: Mapped[str | None] = mapped_column(Text)


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("survey_id", "dimension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    dimension: Mapped[ServqualDimension] = mapped_column(str_enum(ServqualDimension, 16))
    expectation: Mapped[int | None] = mapped_column()
    perception: Mapped[int | None] = mapped_column()
