"""What the staff's complaint desk shows: the queue each department owns, and one complaint's card.

Both carry the SLA state (`sla.sla_status`, the one rule) and read only; the steps taken from them, and who
may take them, are `desk`'s.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.calendar import PortCalendar
from portcrm.enums import ComplaintStatus
from portcrm.models import Complaint, ComplaintEvent, Customer, Staff
from portcrm.models.base import utcnow
from portcrm.services.complaints.cards import ComplaintCard, complaint_card
from portcrm.services.complaints.desk import ACTIVE, SEE_ALL, DeskUser, may_act
from portcrm.services.complaints.sla import SlaStatus, sla_status
from portcrm.storage.transaction import transaction

S = ComplaintStatus
PAGE_SIZE = 8


class QueueFilter(enum.StrEnum):
    ALL = "all"
    SUBMITTED = "new"
    IN_PROGRESS = "prog"
    WAITING = "wait"
    PROPOSED = "prop"
    RESOLVED = "res"


class QueueOrder(enum.StrEnum):
    NEWEST = "new"
    URGENT = "urg"


FILTER_STATUSES: dict[QueueFilter, frozenset[ComplaintStatus]] = {
    QueueFilter.ALL: ACTIVE,
    QueueFilter.SUBMITTED: frozenset({S.SUBMITTED}),
    QueueFilter.IN_PROGRESS: frozenset({S.ACKNOWLEDGED, S.INVESTIGATING}),
    QueueFilter.WAITING: frozenset({S.AWAITING_CUSTOMER}),
    QueueFilter.PROPOSED: frozenset({S.RESOLUTION_PROPOSED}),
    QueueFilter.RESOLVED: frozenset({S.RESOLVED}),
}


@dataclass(frozen=True, slots=True)
class QueueLine:
    complaint: Complaint
    customer_name: str
    sla: SlaStatus


@dataclass(frozen=True, slots=True)
class QueuePage:
    lines: list[QueueLine]
    page: int  # 0-based, clamped to the pages there are
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class DeskCard:
    card: ComplaintCard
    sla: SlaStatus
    assignee_name: str | None
    can_act: bool


async def desk_queue(
    session: AsyncSession,
    user: DeskUser,
    calendar: PortCalendar,
    *,
    status: QueueFilter = QueueFilter.ALL,
    mine: bool = False,
    order: QueueOrder = QueueOrder.NEWEST,
    page: int = 0,
    now: dt.datetime | None = None,
) -> QueuePage:
    """The open complaints this user's departments own (or assigned to them), a page at a time."""
    query = (
        select(Complaint, Customer.name)
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(Complaint.status.in_(FILTER_STATUSES[status]))
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
    )
    if mine:
        query = query.where(Complaint.assigned_to_id == user.staff_id)
    elif not user.roles & SEE_ALL:
        query = query.where(
            Complaint.department.in_(user.roles) | (Complaint.assigned_to_id == user.staff_id)
        )
    async with transaction(session):
        rows = (await session.execute(query)).all()
        events = await _status_events(session, [complaint.id for complaint, _name in rows])
    moment = now or utcnow()
    lines = [QueueLine(c, name, sla_status(c, events[c.id], calendar, moment)) for c, name in rows]
    if order is QueueOrder.URGENT:
        lines.sort(key=_urgency)
    pages = max(1, -(-len(lines) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return QueuePage(lines[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], page, pages, len(lines))


def _urgency(line: QueueLine) -> tuple[int, float]:
    """Overdue first (most overdue on top), then least time left; paused and resolved ones last."""
    if line.complaint.status == S.RESOLVED:
        return 3, -line.complaint.created_at.timestamp()
    if line.sla.paused:
        return 2, line.sla.current.remaining.total_seconds()
    clock = line.sla.current
    if clock.overdue:
        return 0, -clock.overdue_by.total_seconds()
    return 1, clock.remaining.total_seconds()


async def _status_events(session: AsyncSession, ids: list[int]) -> defaultdict[int, list[ComplaintEvent]]:
    found: defaultdict[int, list[ComplaintEvent]] = defaultdict(list)
    if ids:
        rows = await session.scalars(
            select(ComplaintEvent).where(
                ComplaintEvent.kind == "status", ComplaintEvent.complaint_id.in_(ids)
            )
        )
        for event in rows:
            found[event.complaint_id].append(event)
    return found


async def desk_card(
    session: AsyncSession,
    complaint_id: int,
    user: DeskUser,
    calendar: PortCalendar,
    *,
    now: dt.datetime | None = None,
) -> DeskCard:
    """The complaint with its history, SLA state, assignee and whether this user may act on it."""
    async with transaction(session):
        card = await complaint_card(session, complaint_id, customer_id=None)
        complaint = card.complaint
        assignee = await session.get(Staff, complaint.assigned_to_id) if complaint.assigned_to_id else None
    sla = sla_status(complaint, card.events, calendar, now or utcnow())
    return DeskCard(card, sla, assignee.name if assignee else None, may_act(complaint, user))
