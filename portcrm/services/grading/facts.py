"""What a customer's last twelve months were, measured from the archive and the ledger, and said in words.

The numbers are the input of the scoring in portcrm.services.grading.scores, counted as docs/grading.md
explains: volume in TEU by the day the cargo passed the port, revenue as invoiced per currency, and lateness
from the payments recorded against each invoice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CreditRating, CustomerStatus, Grade, ShipmentDirection
from portcrm.errors import N_
from portcrm.models import Container, Customer, Invoice, Payment, Shipment

BATCH = 2_000  # rows fetched at a time: a year of a large port's shipments and ledger is never held at once


@dataclass(frozen=True, slots=True)
class Reason:
    """A reason as a message id and display-ready parameters, so each reader gets it in their language."""

    msgid: str
    params: dict[str, str] = field(default_factory=dict)

    def render(self, gettext: Callable[[str], str] = str) -> str:
        return gettext(self.msgid).format(**self.params)


@dataclass(slots=True)
class Facts:
    """One customer's twelve months, as measured: the input of the pure scoring."""

    customer_id: int
    name: str
    grade: Grade
    credit_rating: CreditRating | None = None
    years: int | None = None  # full years of cooperation; None when the start is unknown
    teu: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)  # currency → invoiced
    invoices_due: int = 0
    on_time: int = 0
    days_late: int = 0  # summed over the invoices due
    overdue: dict[str, Decimal] = field(default_factory=dict)  # currency → outstanding past due now


async def measure(session: AsyncSession, as_of: dt.date, tz: dt.tzinfo) -> list[Facts]:
    """Every active customer's twelve months ending with `as_of` (port-local days in `tz`); no commit."""
    start = year_before(as_of + dt.timedelta(days=1))
    rows = await session.stream(
        select(Customer.id, Customer.name, Customer.grade, Customer.credit_rating, Customer.cooperation_since)
        .where(Customer.status == CustomerStatus.ACTIVE)
        .order_by(Customer.id)
        .execution_options(yield_per=BATCH)
    )
    facts = {
        id_: Facts(id_, name, grade, rating, full_years(since, as_of) if since else None)
        async for batch in rows.partitions()
        for id_, name, grade, rating, since in batch
    }
    await _measure_volume(session, facts, start, as_of, tz)
    await _measure_ledger(session, facts, start, as_of)
    return list(facts.values())


def describe(f: Facts) -> dict[str, tuple[Any, Reason]]:
    """Per criterion, the value as stored with a proposal and the reason as people read it."""
    return {
        "volume": (f.teu, _volume_reason(f)),
        "revenue": (_amounts_value(f.revenue), _revenue_reason(f)),
        "credit": (f.credit_rating.value if f.credit_rating else None, _credit_reason(f)),
        "payment": (_payment_value(f), _payment_reason(f)),
        "years": (f.years, _years_reason(f)),
    }


def year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def full_years(since: dt.date, day: dt.date) -> int:
    return max(0, day.year - since.year - ((day.month, day.day) < (since.month, since.day)))


def port_moment(
    direction: ShipmentDirection,
    etd: dt.datetime | None,
    eta: dt.datetime | None,
    ata: dt.datetime | None,
    recorded: dt.datetime,
) -> dt.datetime:
    """When the cargo passed this port: an export when the vessel left, anything else when it arrived."""
    if direction == ShipmentDirection.EXPORT:
        return etd or recorded
    return ata or eta or recorded


async def _measure_volume(
    session: AsyncSession, facts: dict[int, Facts], start: dt.date, as_of: dt.date, tz: dt.tzinfo
) -> None:
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    size = func.upper(func.substr(Container.size_type, 1, 1))
    teu = func.sum(case((size.in_(("4", "L")), 2), else_=1))  # 20' and unknown sizes count 1
    dates = (Shipment.etd, Shipment.eta, Shipment.ata, Shipment.created_at)
    rows = await session.stream(
        select(Shipment.customer_id, Shipment.direction, *dates, teu)
        .join(Container, Container.shipment_id == Shipment.id)
        .where(or_(*(column >= lo for column in dates)))
        .group_by(Shipment.id)
        .execution_options(yield_per=BATCH)
    )
    async for batch in rows.partitions():
        for customer_id, direction, etd, eta, ata, recorded, boxes in batch:
            if customer_id in facts and lo <= port_moment(direction, etd, eta, ata, recorded) < hi:
                facts[customer_id].teu += int(boxes)


class _Billed(NamedTuple):
    """What the ledger criteria read of an invoice: a year of invoices is too many to load as objects."""

    id: int
    customer_id: int
    issued_on: dt.date
    due_on: dt.date
    amount: Decimal
    paid_amount: Decimal
    currency: str
    settled: bool

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid_amount


async def _measure_ledger(
    session: AsyncSession, facts: dict[int, Facts], start: dt.date, as_of: dt.date
) -> None:
    relevant = or_(
        Invoice.issued_on.between(start, as_of),
        Invoice.due_on.between(start, as_of),
        and_(Invoice.settled.is_(False), Invoice.due_on < as_of),
    )
    paid_on = await _paid_in_full_on(session, relevant)
    invoices = await session.stream(
        select(*(getattr(Invoice, f) for f in _Billed._fields))
        .where(relevant)
        .execution_options(yield_per=BATCH)
    )
    async for batch in invoices.partitions():
        for row in batch:
            invoice = _Billed(*row)
            f = facts.get(invoice.customer_id)
            if f is None:
                continue
            if start <= invoice.issued_on <= as_of:
                f.revenue[invoice.currency] = f.revenue.get(invoice.currency, Decimal(0)) + invoice.amount
            if start <= invoice.due_on <= as_of:
                f.invoices_due += 1
                late = _days_late(invoice, paid_on.get(invoice.id), as_of)
                f.on_time, f.days_late = f.on_time + (late == 0), f.days_late + late
            if not invoice.settled and invoice.due_on < as_of and invoice.outstanding > 0:
                owed = f.overdue.get(invoice.currency, Decimal(0))
                f.overdue[invoice.currency] = owed + invoice.outstanding


async def _paid_in_full_on(session: AsyncSession, relevant: ColumnElement[bool]) -> dict[int, dt.date]:
    """Per invoice, the day its payments reached its amount."""
    paid = await session.stream(
        select(Payment.invoice_id, Payment.paid_on, Payment.amount, Invoice.amount)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(relevant)
        .order_by(Payment.invoice_id, Payment.paid_on, Payment.id)
        .execution_options(yield_per=BATCH)
    )
    paid_so_far: dict[int, Decimal] = {}
    paid_on: dict[int, dt.date] = {}
    async for batch in paid.partitions():
        for invoice_id, day, amount, invoiced in batch:
            paid_so_far[invoice_id] = paid_so_far.get(invoice_id, Decimal(0)) + amount
            if invoice_id not in paid_on and paid_so_far[invoice_id] >= invoiced:
                paid_on[invoice_id] = day
    return paid_on


def _days_late(invoice: _Billed, paid_on: dt.date | None, as_of: dt.date) -> int:
    """Days past due until paid in full, or until `as_of` while unpaid then."""
    if paid_on is None and invoice.settled:
        return 0  # settled by other means, with no date to hold against the customer
    return max(0, (min(paid_on or as_of, as_of) - invoice.due_on).days)


def _amounts(amounts: Mapping[str, Decimal]) -> str:
    return ", ".join(f"{currency} {amount:,.2f}" for currency, amount in sorted(amounts.items()) if amount)


def _amounts_value(amounts: Mapping[str, Decimal]) -> dict[str, str]:
    return {currency: str(amount) for currency, amount in sorted(amounts.items())}


def _payment_value(f: Facts) -> dict[str, Any]:
    average = round(f.days_late / f.invoices_due, 1) if f.invoices_due else 0.0
    overdue = _amounts_value({c: a for c, a in f.overdue.items() if a > 0})
    return {"due": f.invoices_due, "on_time": f.on_time, "average_days_late": average, "overdue": overdue}


def _volume_reason(f: Facts) -> Reason:
    if not f.teu:
        return Reason(N_("No container volume in the last 12 months"))
    return Reason(N_("Volume: {teu} TEU in the last 12 months"), {"teu": f"{f.teu:,}"})


def _revenue_reason(f: Facts) -> Reason:
    if not any(f.revenue.values()):
        return Reason(N_("No invoices issued in the last 12 months"))
    return Reason(N_("Invoiced in the last 12 months: {amounts}"), {"amounts": _amounts(f.revenue)})


def _credit_reason(f: Facts) -> Reason:
    if f.credit_rating is None:
        return Reason(N_("No credit rating"))
    return Reason(N_("Credit rating: {rating}"), {"rating": f.credit_rating.value})


def _payment_reason(f: Facts) -> Reason:
    overdue = _amounts(f.overdue)
    if not f.invoices_due:
        if overdue:
            return Reason(
                N_("No invoices due in the last 12 months; overdue now: {amounts}"), {"amounts": overdue}
            )
        return Reason(N_("No invoices due in the last 12 months"))
    params = {
        "on_time": str(f.on_time),
        "due": str(f.invoices_due),
        "days": f"{f.days_late / f.invoices_due:.1f}",
    }
    if overdue:
        message = N_(
            "Paid on time: {on_time} of {due} invoices, {days} days late on average; overdue now: {amounts}"
        )
        return Reason(message, {**params, "amounts": overdue})
    return Reason(N_("Paid on time: {on_time} of {due} invoices, {days} days late on average"), params)


def _years_reason(f: Facts) -> Reason:
    if f.years is None:
        return Reason(N_("Start of cooperation unknown"))
    return Reason(N_("Years of cooperation: {years}"), {"years": str(f.years)})
