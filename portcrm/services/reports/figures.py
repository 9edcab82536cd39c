"""The manager's report (/report): five figures computed from the database as plain numbers.

Rendering (charts, workbook) lives in `report_render`; this module only counts, so tests can compare its
figures with SQL. Rules come from their own services: the SLA clock (complaint_sla), the revisit cadence
(revisits), open invoices (receivables) and SERVQUAL gaps (surveys).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.calendar import PortCalendar
from portcrm.enums import ComplaintCategory, ComplaintStatus, CustomerStatus, CustomerType, Grade
from portcrm.models import Complaint, ComplaintEvent, Customer, Invoice, Staff, Visit
from portcrm.services.care.revisits import DEFAULT_CADENCE_DAYS
from portcrm.services.care.surveys import DimensionGap, survey_gaps
from portcrm.services.complaints.sla import sla_status
from portcrm.services.receivables.ledger import is_open
from portcrm.storage.transaction import transaction

AGE_BUCKETS = ("1-30", "31-60", "61-90", ">90")  # days past the due date
COMPLIANCE_WINDOW_DAYS = 90


@dataclass(frozen=True, slots=True)
class CategoryFigures:
    category: ComplaintCategory
    count: int
    resolved: int
    mean_working_days: float | None  # SLA resolve clock (working days, customer time excluded)
    repeats: int  # same customer and category, submitted after a closed complaint with a corrective action


@dataclass(frozen=True, slots=True)
class AgeingRow:
    currency: str
    buckets: tuple[Decimal, ...]  # in the order of AGE_BUCKETS

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, Decimal(0))


@dataclass(frozen=True, slots=True)
class Compliance:
    staff_id: int | None  # None: customers without an account manager
    staff_name: str | None
    customers: int
    visited: int  # visited within their grade's cadence (at most the 90-day window)

    @property
    def share(self) -> float:
        return self.visited / self.customers if self.customers else 0.0


@dataclass(frozen=True, slots=True)
class Report:
    today: dt.date
    grades: dict[CustomerType, dict[Grade, int]]  # active customers
    complaints: list[CategoryFigures]
    ageing: list[AgeingRow]  # per currency: no exchange rates
    compliance: list[Compliance]
    servqual: list[DimensionGap]


async def build_report(
    session: AsyncSession,
    today: dt.date,
    calendar: PortCalendar,
    cadence: dict[str, int],
    *,
    tz: dt.tzinfo = dt.UTC,
) -> Report:
    """Every figure of the report as of `today` (port-local date)."""
    async with transaction(session):
        grades = await _grades(session)
        complaints = await _complaints(session, calendar)
        ageing = await _ageing(session, today)
        compliance = await _compliance(session, today, cadence, tz)
    servqual = await survey_gaps(session)
    return Report(today, grades, complaints, ageing, compliance, servqual)


async def _grades(session: AsyncSession) -> dict[CustomerType, dict[Grade, int]]:
    rows = await session.execute(
        select(Customer.type, Customer.grade, func.count())
        .where(Customer.status == CustomerStatus.ACTIVE)
        .group_by(Customer.type, Customer.grade)
    )
    result = {kind: dict.fromkeys(Grade, 0) for kind in CustomerType}
    for kind, grade, count in rows:
        result[kind][grade] = count
    return result


async def _complaints(session: AsyncSession, calendar: PortCalendar) -> list[CategoryFigures]:
    complaints = list(await session.scalars(select(Complaint).order_by(Complaint.created_at, Complaint.id)))
    events: defaultdict[int, list[ComplaintEvent]] = defaultdict(list)
    for event in await session.scalars(select(ComplaintEvent).where(ComplaintEvent.kind == "status")):
        events[event.complaint_id].append(event)
    done = {ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED}
    # the earliest closing with a corrective action, per customer and category
    corrected: dict[tuple[int, ComplaintCategory], dt.datetime] = {}
    for c in complaints:
        if c.status == ComplaintStatus.CLOSED and c.closed_at and (c.corrective_action or "").strip():
            key = (c.customer_id, c.category)
            corrected[key] = min(corrected.get(key, c.closed_at), c.closed_at)
    figures = []
    for category in ComplaintCategory:
        mine = [c for c in complaints if c.category == category]
        days = []
        for c in mine:
            if c.status in done:
                clock = sla_status(c, events[c.id], calendar, c.closed_at or c.resolved_at or c.created_at)
                days.append(clock.resolve.elapsed / calendar.day_length)
        repeats = sum(
            1 for c in mine if (since := corrected.get((c.customer_id, category))) and c.created_at > since
        )
        mean = sum(days) / len(days) if days else None
        figures.append(CategoryFigures(category, len(mine), len(days), mean, repeats))
    return figures


def age_bucket(days_overdue: int) -> int | None:
    """The index in AGE_BUCKETS, or None when not yet overdue."""
    if days_overdue <= 0:
        return None
    return min((days_overdue - 1) // 30, len(AGE_BUCKETS) - 1)


async def _ageing(session: AsyncSession, today: dt.date) -> list[AgeingRow]:
    rows = await session.execute(
        select(Invoice.currency, Invoice.due_on, Invoice.amount - Invoice.paid_amount).where(
            is_open(), Invoice.due_on < today
        )
    )
    sums: defaultdict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * len(AGE_BUCKETS))
    for currency, due_on, outstanding in rows:
        index = age_bucket((today - due_on).days)
        if index is not None:
            sums[currency][index] += Decimal(outstanding)
    return [AgeingRow(currency, tuple(values)) for currency, values in sorted(sums.items())]


async def _compliance(
    session: AsyncSession, today: dt.date, cadence: dict[str, int], tz: dt.tzinfo
) -> list[Compliance]:
    window_start = dt.datetime.combine(today - dt.timedelta(days=COMPLIANCE_WINDOW_DAYS), dt.time(), tz)
    latest = (
        select(Visit.customer_id, func.max(Visit.occurred_at).label("at"))
        .where(Visit.occurred_at >= window_start.astimezone(dt.UTC))
        .group_by(Visit.customer_id)
        .subquery()
    )
    rows = await session.execute(
        select(Customer.account_manager_id, Staff.name, Customer.grade, latest.c.at)
        .outerjoin(Staff, Staff.id == Customer.account_manager_id)
        .outerjoin(latest, latest.c.customer_id == Customer.id)
        .where(Customer.status != CustomerStatus.TERMINATED)
    )
    counts: dict[int | None, tuple[str | None, int, int]] = {}
    for staff_id, name, grade, visited_at in rows:
        _, customers, visited = counts.get(staff_id, (name, 0, 0))
        days = min(cadence.get(grade.value, DEFAULT_CADENCE_DAYS), COMPLIANCE_WINDOW_DAYS)
        recent = visited_at is not None and (today - _local_date(visited_at, tz)).days <= days
        counts[staff_id] = (name, customers + 1, visited + int(recent))
    result = [Compliance(staff_id, *figures) for staff_id, figures in counts.items()]
    result.sort(key=lambda c: (c.staff_id is None, c.staff_name or "", c.staff_id or 0))
    return result


def _local_date(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(tz).date()
