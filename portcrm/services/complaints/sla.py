"""The complaint SLA: acknowledge in 4 working hours, resolve in 5 working days, customer time excluded.

One rule for everyone who shows or acts on it: the escalation job, the digest and the staff complaint desk.
The clocks count only the port's working time (`PortCalendar`) from submission, and stop while the customer
has the next move: a question awaits their reply, or a proposed resolution their acceptance or rejection.
Those periods are read from the complaint's "status" events. A clock starts again only on the customer's
answer, never on a timeout: a silent customer is shown on the desk and in the digest as paused since when,
for the staff to chase, and is not held against the department that cannot move without them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.calendar import PortCalendar
from portcrm.enums import ComplaintStatus, Role
from portcrm.models import Complaint, ComplaintEvent, Customer
from portcrm.services.recipients.staff_alerts import Recipient, holding
from portcrm.services.recipients.staff_alerts import department as staff_department
from portcrm.settings import Settings
from portcrm.storage.transaction import transaction

S = ComplaintStatus
ACKNOWLEDGE_WITHIN_HOURS = 4
RESOLVE_WITHIN_DAYS = 5  # working days of the calendar's working hours
ACKNOWLEDGE, RESOLVE = "acknowledge", "resolve"  # the clocks' kinds, as they appear in outbox keys
OPEN_STATUSES = frozenset(set(S) - {S.RESOLVED, S.CLOSED})
# the customer has the next move: answer our question, or accept or reject our proposal
CUSTOMER_MOVES = frozenset({S.AWAITING_CUSTOMER, S.RESOLUTION_PROPOSED})

Pause = tuple[dt.datetime, dt.datetime | None]  # the customer's move from .. until (None: still)


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One deadline: how much working time it allows, how much has run, and when it falls (or fell) due."""

    kind: str
    limit: dt.timedelta
    elapsed: dt.timedelta  # working time run, to `done_at` if done, else to now
    due: dt.datetime | None  # port time; None while the clock is stopped before reaching its limit
    done_at: dt.datetime | None

    @property
    def done(self) -> bool:
        return self.done_at is not None

    @property
    def breached(self) -> bool:
        """Over the limit: for a done clock, it was done late."""
        return self.elapsed > self.limit

    @property
    def overdue(self) -> bool:
        """Not done and over the limit: the breach that escalates."""
        return not self.done and self.breached

    @property
    def remaining(self) -> dt.timedelta:
        return max(self.limit - self.elapsed, dt.timedelta(0))

    @property
    def overdue_by(self) -> dt.timedelta:
        return max(self.elapsed - self.limit, dt.timedelta(0))


@dataclass(frozen=True, slots=True)
class SlaStatus:
    acknowledge: SlaClock
    resolve: SlaClock
    pauses: tuple[Pause, ...]
    paused_for: dt.timedelta  # working time spent waiting for the customer so far

    @property
    def paused_since(self) -> dt.datetime | None:
        return self.pauses[-1][0] if self.pauses and self.pauses[-1][1] is None else None

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    @property
    def clocks(self) -> tuple[SlaClock, SlaClock]:
        return self.acknowledge, self.resolve

    @property
    def current(self) -> SlaClock:
        """The clock that matters now: acknowledgement until it is done, then resolution."""
        return self.resolve if self.acknowledge.done else self.acknowledge

    @property
    def overdue(self) -> tuple[SlaClock, ...]:
        return tuple(clock for clock in self.clocks if clock.overdue)


def sla_status(
    complaint: Complaint, events: Iterable[ComplaintEvent], calendar: PortCalendar, now: dt.datetime
) -> SlaStatus:
    """Where the complaint stands against its SLA at `now` (events: its history, any order, any kinds)."""
    steps = sorted((e for e in events if e.kind == "status"), key=lambda e: (e.at, e.id or 0))
    pauses = customer_turns(steps)
    submitted = complaint.created_at
    acknowledged = complaint.acknowledged_at or _left(steps, {S.SUBMITTED})
    if complaint.status != S.SUBMITTED and acknowledged is None:
        acknowledged = submitted  # moved on without a record of when: nothing to hold against it
    resolved = complaint.resolved_at or complaint.closed_at or _entered(steps, {S.RESOLVED, S.CLOSED})
    if complaint.status not in OPEN_STATUSES and resolved is None:
        resolved = submitted
    day = calendar.day_length
    limits = {ACKNOWLEDGE: dt.timedelta(hours=ACKNOWLEDGE_WITHIN_HOURS), RESOLVE: day * RESOLVE_WITHIN_DAYS}
    clocks = [
        SlaClock(
            kind=kind,
            limit=limits[kind],
            elapsed=active_working_time(calendar, submitted, done_at or now, pauses),
            due=_due(calendar, submitted, limits[kind], pauses),
            done_at=done_at,
        )
        for kind, done_at in ((ACKNOWLEDGE, acknowledged), (RESOLVE, resolved))
    ]
    paused_for = sum(
        (calendar.working_time_between(start, min(end or now, now)) for start, end in pauses), dt.timedelta(0)
    )
    return SlaStatus(clocks[0], clocks[1], pauses, paused_for)


def customer_turns(steps: Sequence[ComplaintEvent]) -> tuple[Pause, ...]:
    """The periods in which the customer had the next move (CUSTOMER_MOVES), from status events in order."""
    pauses: list[Pause] = []
    since: dt.datetime | None = None
    for event in steps:
        if event.to_status in CUSTOMER_MOVES and since is None:
            since = event.at
        elif event.to_status not in CUSTOMER_MOVES and since is not None:
            pauses.append((since, event.at))
            since = None
    if since is not None:
        pauses.append((since, None))
    return tuple(pauses)


def active_working_time(
    calendar: PortCalendar, start: dt.datetime, end: dt.datetime, pauses: Iterable[Pause]
) -> dt.timedelta:
    """Working time from start to end, leaving out the pauses: the time the SLA clock runs."""
    total, cursor = dt.timedelta(0), start
    for pause_start, pause_end in sorted(pauses, key=lambda pause: pause[0]):
        if pause_start > cursor:
            total += calendar.working_time_between(cursor, min(pause_start, end))
        cursor = max(cursor, pause_end or end)
        if cursor >= end:
            return total
    return total + calendar.working_time_between(cursor, end)


def _due(
    calendar: PortCalendar, start: dt.datetime, limit: dt.timedelta, pauses: Iterable[Pause]
) -> dt.datetime | None:
    """When `limit` of running time is reached, each pause pushing it back; None if a pause is still on."""
    remaining, cursor = limit, start
    for pause_start, pause_end in sorted(pauses, key=lambda pause: pause[0]):
        run = calendar.working_time_between(cursor, pause_start)
        if run >= remaining:
            break
        remaining -= run
        if pause_end is None:
            return None
        cursor = max(cursor, pause_end)
    return calendar.add_working_time(cursor, remaining)


def _left(steps: Sequence[ComplaintEvent], statuses: set[ComplaintStatus]) -> dt.datetime | None:
    return next((e.at for e in steps if e.from_status in statuses), None)


def _entered(steps: Sequence[ComplaintEvent], statuses: set[ComplaintStatus]) -> dt.datetime | None:
    return next((e.at for e in steps if e.to_status in statuses), None)


@dataclass(frozen=True, slots=True)
class TrackedComplaint:
    complaint: Complaint
    customer_name: str
    sla: SlaStatus


async def open_complaints(
    session: AsyncSession, calendar: PortCalendar, now: dt.datetime
) -> list[TrackedComplaint]:
    """Every complaint not yet resolved or closed, oldest first, with where it stands against its SLA."""
    events: defaultdict[int, list[ComplaintEvent]] = defaultdict(list)
    async with transaction(session):
        rows = (
            await session.execute(
                select(Complaint, Customer.name)
                .join(Customer, Customer.id == Complaint.customer_id)
                .where(Complaint.status.in_(OPEN_STATUSES))
                .order_by(Complaint.created_at, Complaint.id)
            )
        ).all()
        if rows:
            found = await session.scalars(
                select(ComplaintEvent).where(
                    ComplaintEvent.kind == "status",
                    ComplaintEvent.complaint_id.in_([complaint.id for complaint, _ in rows]),
                )
            )
            for event in found:
                events[event.complaint_id].append(event)
    return [
        TrackedComplaint(complaint, name, sla_status(complaint, events[complaint.id], calendar, now))
        for complaint, name in rows
    ]


async def escalation_recipients(
    session: AsyncSession, department: Role, level: int, settings: Settings
) -> list[Recipient]:
    """Level 1: the head of the owning department (its role and manager), else the managers; 2: managers."""
    heads = await holding(session, {department, Role.MANAGER}, settings) if level == 1 else []
    return heads or await staff_department(session, Role.MANAGER, settings)


async def digest_recipients(session: AsyncSession, settings: Settings) -> list[Recipient]:
    """The market department's managers, else the managers."""
    market_heads = await holding(session, {Role.MARKET, Role.MANAGER}, settings)
    return market_heads or await staff_department(session, Role.MANAGER, settings)
