"""The customer archive: basic (market), business (operations) and financial (finance) information."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portcrm.enums import CreditRating, CustomerStatus, CustomerType, EvaluationStatus, Grade
from portcrm.models.base import Base, Timestamps, str_enum, utcnow
from portcrm.search_keys import fold, pinyin_keys

# Byte order on PostgreSQL too (whatever the database's collation): a typed prefix is then an index range.
SEARCH_KEY = Text().with_variant(Text(collation="C"), "postgresql")


def _search_key(*, index: bool = True) -> Mapped[str]:
    """A column derived from the code or names: kept by `Customer`'s validator, left out of the audit log."""
    return mapped_column(SEARCH_KEY, default="", server_default="", index=index, info={"audited": False})


class Customer(Timestamps, Base):
    __tablename__ = "customers"
    audited: ClassVar[bool] = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # basic information, owned by the market department
    name: Mapped[str] = mapped_column(index=True)
    name_en: Mapped[str | None] = mapped_column()
    type: Mapped[CustomerType] = mapped_column(str_enum(CustomerType), index=True)
    status: Mapped[CustomerStatus] = mapped_column(
        str_enum(CustomerStatus, 16), default=CustomerStatus.ACTIVE
    )
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    legal_representative: Mapped[str | None] = mapped_column()
    business_scope: Mapped[str | None] = mapped_column(Text)
    founded_on: Mapped[dt.date | None] = mapped_column()
    organisation_form: Mapped[str | None] = mapped_column()
    registered_capital: Mapped[Decimal | None] = mapped_column()
    total_assets: Mapped[Decimal | None] = mapped_column()
    address: Mapped[str | None] = mapped_column(String(500))
    service_area: Mapped[str | None] = mapped_column()
    sales_capacity: Mapped[str | None] = mapped_column()
    development_potential: Mapped[str | None] = mapped_column(Text)
    cooperation_since: Mapped[dt.date | None] = mapped_column()
    account_manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    # classification: the grade and why it was given
    grade: Mapped[Grade] = mapped_column(str_enum(Grade, 1), default=Grade.C, index=True)
    grade_reasons: Mapped[list[Any]] = mapped_column(default=list)
    graded_at: Mapped[dt.datetime | None] = mapped_column()
    # business information, owned by the operations department
    annual_volume_teu: Mapped[int | None] = mapped_column()
    cargo_types: Mapped[str | None] = mapped_column()
    routes: Mapped[str | None] = mapped_column(String(500))
    freight_payment_terms: Mapped[str | None] = mapped_column()
    # financial information, owned by the finance department
    credit_rating: Mapped[CreditRating | None] = mapped_column(str_enum(CreditRating, 4))
    annual_revenue: Mapped[Decimal | None] = mapped_column()
    financial_statements: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    bank_name: Mapped[str | None] = mapped_column()
    bank_account: Mapped[str | None] = mapped_column(String(64))
    # what customer search matches on (portcrm/search_keys.py); matches anywhere go through search_index.py
    search_code: Mapped[str] = _search_key()
    search_name: Mapped[str] = _search_key()
    search_name_en: Mapped[str] = _search_key()
    search_pinyin: Mapped[str] = _search_key()
    search_initials: Mapped[str] = _search_key(index=False)

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", lazy="raise", order_by="Contact.id"
    )

    @validates("code", "name", "name_en")
    def _keep_search_keys(self, key: str, value: str | None) -> str | None:
        """Every write of a code or name, by any service, import or seed, refreshes what search matches on."""
        if key == "code":
            self.search_code = fold(value)
        elif key == "name":
            self.search_name = fold(value)
            self.search_pinyin, self.search_initials = pinyin_keys(value)
        else:
            self.search_name_en = fold(value)
        return value


class Contact(Timestamps, Base):
    """A person at a customer; the Telegram link makes them a chat user acting for that company."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("customer_id", "name"),)
    audited: ClassVar[bool] = True

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column()
    title: Mapped[str | None] = mapped_column()
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column()
    birthday: Mapped[dt.date | None] = mapped_column()
    locale: Mapped[str | None] = mapped_column(String(8))
    is_primary: Mapped[bool] = mapped_column(default=False)
    is_billing: Mapped[bool] = mapped_column(default=False)
    consent_greetings: Mapped[bool] = mapped_column(default=False)
    consent_marketing: Mapped[bool] = mapped_column(default=False)
    # reached by e-mail even when linked to Telegram (portcrm/services/recipients/channel.py)
    prefers_email: Mapped[bool] = mapped_column(default=False, server_default=false())
    # when the contact was shown the PIPL notice in chat; consent choices above are theirs from then on
    privacy_notice_at: Mapped[dt.datetime | None] = mapped_column()
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    notes: Mapped[str | None] = mapped_column(Text)
    # the person in charge, for relationship work (domain.md: interests, education, style)
    interests: Mapped[str | None] = mapped_column(String(500))
    education: Mapped[str | None] = mapped_column()
    communication_style: Mapped[str | None] = mapped_column()
    # set when the person's data was erased on their request (PIPL): the row stays, anonymised, so the
    # company's records that point at it keep their meaning; the audit log's trigger reads it
    erased_at: Mapped[dt.datetime | None] = mapped_column()

    customer: Mapped[Customer] = relationship(back_populates="contacts", lazy="raise")


class CreditLimit(Base):
    """Credit limits as a history: the row in force is the latest effective one."""

    __tablename__ = "credit_limits"
    __table_args__ = (Index("ix_credit_limits_customer_effective", "customer_id", "effective_from"),)
    audited: ClassVar[bool] = True

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    effective_from: Mapped[dt.date] = mapped_column()
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class GradeEvaluation(Base):
    """One grading run's verdict on one customer: proposed to managers, then approved or rejected."""

    __tablename__ = "grade_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(16))
    previous_grade: Mapped[Grade] = mapped_column(str_enum(Grade, 1))
    proposed_grade: Mapped[Grade] = mapped_column(str_enum(Grade, 1))
    score: Mapped[Decimal] = mapped_column()
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[EvaluationStatus] = mapped_column(
        str_enum(EvaluationStatus, 16), default=EvaluationStatus.PROPOSED
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
