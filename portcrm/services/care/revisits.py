"""Which customers are due a revisit (定期回访): one rule for the morning reminders and the staff /today list.

A customer's next revisit is the `next_revisit_on` of their LATEST visit (earlier visits were followed up by
the later ones). A latest visit without that date is due one cadence after it. A customer never visited is
due one cadence after the later of `cooperation_since` and the day it entered the archive (created or
imported): visits before that day were never recorded here, so a customer cooperating since 2012 and imported
last week is not "5306 days overdue". Terminated customers need no revisit.

A closed complaint plans a verification revisit (does the corrective action hold?) VERIFY_AFTER_WORKING_DAYS
working days after the close, by the port's calendar. Nothing is written for it: it is read from the
complaint's `closed_at`, so it is never mistaken for a visit made (last visit, revisit compliance), and it is
rendered in each reader's language. It is done once a visit to the customer is logged after the close (or a
visit names the complaint); until then it brings the customer's revisit forward to its date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.calendar import PortCalendar
from portcrm.enums import ComplaintStatus, CustomerStatus, Grade
from portcrm.models import Complaint, Customer, Visit
from portcrm.storage.transaction import transaction

GRADE_ORDER = {grade: index for index, grade in enumerate(Grade)}  # A before B before C
DEFAULT_CADENCE_DAYS = 90
VERIFY_AFTER_WORKING_DAYS = 5  # a working week for the corrective action to show
BATCH = 2_000  # customers read at a time


@dataclass(frozen=True, slots=True)
class DueRevisit:
    customer_id: int
    customer_name: str
    grade: Grade
    account_manager_id: int | None
    due_on: dt.date
    days_overdue: int  # 0 when due today
    last_visit_on: dt.date | None  # None: never visited
    verifies: tuple[str, ...] = ()  # tickets of closed complaints whose corrective action it is to verify


@dataclass(frozen=True, slots=True)
class Verification:
    """A closed complaint's planned verification revisit, not made yet."""

    ticket: str
    due_on: dt.date


async def due_revisits(
    session: AsyncSession,
    staff_id: int | None,
    today: dt.date,
    cadence: dict[str, int],
    *,
    calendar: PortCalendar,
) -> list[DueRevisit]:
    """Revisits due today or overdue, of one account manager's customers (None: everyone's).

    Most important first: grade A before B before C, then the most overdue. `cadence` maps a grade to days
    (settings.revisit_cadence_days); `calendar` is the port's, which dates a visit's moment in its time zone
    and plans the verification revisits.
    """
    latest = select(
        Visit.customer_id,
        Visit.occurred_at,
        Visit.next_revisit_on,
        func.row_number()
        .over(partition_by=Visit.customer_id, order_by=(Visit.occurred_at.desc(), Visit.id.desc()))
        .label("rank"),
    )
    if staff_id is not None:
        # rank only this manager's visits: the planner cannot push the outer filter into the window
        mine = select(Customer.id).where(Customer.account_manager_id == staff_id)
        latest = latest.where(Visit.customer_id.in_(mine))
    ranked = latest.subquery()
    query = (
        select(
            Customer.id,
            Customer.name,
            Customer.grade,
            Customer.account_manager_id,
            Customer.cooperation_since,
            Customer.created_at,
            ranked.c.occurred_at,
            ranked.c.next_revisit_on,
        )
        .outerjoin(ranked, (ranked.c.customer_id == Customer.id) & (ranked.c.rank == 1))
        .where(Customer.status != CustomerStatus.TERMINATED)
    )
    if staff_id is not None:
        query = query.where(Customer.account_manager_id == staff_id)
    # in batches: a port's whole customer list processed at once would keep the chat waiting for a second
    async with transaction(session):
        planned = await pending_verifications(session, staff_id, calendar)
        rows = await session.stream(query.execution_options(yield_per=BATCH))
        due = [
            revisit
            async for batch in rows.partitions()
            for revisit in _due(batch, today, cadence, calendar.tz, planned)
        ]
    due.sort(key=lambda r: (GRADE_ORDER[r.grade], -r.days_overdue, r.customer_name, r.customer_id))
    return due


async def pending_verifications(
    session: AsyncSession, staff_id: int | None, calendar: PortCalendar
) -> dict[int, list[Verification]]:
    """By customer, the verification revisits their closed complaints plan that no visit has made yet."""
    made = select(Visit.id).where(
        Visit.customer_id == Complaint.customer_id,
        or_(Visit.occurred_at >= Complaint.closed_at, Visit.complaint_id == Complaint.id),
    )
    query = (
        select(Complaint.customer_id, Complaint.ticket, Complaint.closed_at)
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(
            Complaint.status == ComplaintStatus.CLOSED,
            Complaint.closed_at.is_not(None),
            Customer.status != CustomerStatus.TERMINATED,
            ~made.exists(),
        )
        .order_by(Complaint.closed_at, Complaint.id)
    )
    if staff_id is not None:
        query = query.where(Customer.account_manager_id == staff_id)
    found: defaultdict[int, list[Verification]] = defaultdict(list)
    async with transaction(session):
        for customer_id, ticket, closed_at in await session.execute(query):
            found[customer_id].append(Verification(ticket, verification_due(calendar, closed_at)))
    return found


def verification_due(calendar: PortCalendar, closed_at: dt.datetime) -> dt.date:
    """The day a complaint closed at `closed_at` is to be verified with the customer."""
    return calendar.working_days_after(closed_at.astimezone(calendar.tz).date(), VERIFY_AFTER_WORKING_DAYS)


def first_revisit_on(cooperation_since: dt.date | None, archived_on: dt.date, cadence_days: int) -> dt.date:
    """When a customer never visited is first due: one cadence after we could first have visited them."""
    start = max(cooperation_since, archived_on) if cooperation_since is not None else archived_on
    return start + dt.timedelta(days=cadence_days)


def _due(
    rows: Sequence[Row[Any]],
    today: dt.date,
    cadence: dict[str, int],
    tz: dt.tzinfo,
    planned: dict[int, list[Verification]],
) -> Iterator[DueRevisit]:
    for customer_id, name, grade, manager_id, since, archived_at, visited_at, next_on in rows:
        days = cadence.get(grade.value, DEFAULT_CADENCE_DAYS)
        last_visit = visited_at.astimezone(tz).date() if visited_at is not None else None
        if next_on is not None:
            due_on = next_on
        elif last_visit is not None:
            due_on = last_visit + dt.timedelta(days=days)
        else:
            due_on = first_revisit_on(since, archived_at.astimezone(tz).date(), days)
        verifications = [v for v in planned.get(customer_id, ()) if v.due_on <= today]
        due_on = min([due_on, *(v.due_on for v in verifications)])
        if due_on <= today:
            tickets = tuple(v.ticket for v in verifications)
            yield DueRevisit(
                customer_id, name, grade, manager_id, due_on, (today - due_on).days, last_visit, tickets
            )
