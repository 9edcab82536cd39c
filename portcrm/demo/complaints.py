"""About forty complaints in every status, each with the event history that leads to its status.

Event kinds written here: "created" (to submitted), "status" (a status change, with the staff member), "note"
(a staff note), "message" (the customer's reply to a question), "rating" (the satisfaction given on closing).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from portcrm.demo.context import Company, PlannedShipment, SeedContext
from portcrm.demo.texts import (
    COMPLAINT_TEXTS,
    CORRECTIVE_ACTIONS,
    CUSTOMER_REPLIES,
    QUESTIONS,
    RESOLUTIONS,
    ROOT_CAUSES,
    SATISFACTION_COMMENTS,
    STAFF_NOTES,
)
from portcrm.enums import ComplaintCategory, ComplaintStatus, Role
from portcrm.models import Complaint, ComplaintEvent, Staff
from portcrm.services.complaints.intake import ROUTING

S = ComplaintStatus
# How many complaints are in each status now; the persona's two come on top.
STATUS_COUNTS: dict[ComplaintStatus, int] = {
    S.SUBMITTED: 4, S.ACKNOWLEDGED: 4, S.INVESTIGATING: 5, S.AWAITING_CUSTOMER: 4,
    S.RESOLUTION_PROPOSED: 4, S.RESOLVED: 5, S.CLOSED: 12,
}  # fmt: skip
_PATH = (S.SUBMITTED, S.ACKNOWLEDGED, S.INVESTIGATING, S.RESOLUTION_PROPOSED, S.RESOLVED, S.CLOSED)
_SHIPMENT_CATEGORIES = (
    ComplaintCategory.DELAY,
    ComplaintCategory.CARGO_DAMAGE,
    ComplaintCategory.DOCUMENTATION,
)
_SATISFACTION = ((5, 40), (4, 30), (3, 15), (2, 10), (1, 5))
# How long ago a complaint in each status was made: long enough for its whole history to fit before today,
# and, for the open ones, like a desk that mostly keeps its deadlines (4 working hours to acknowledge, 5
# working days to resolve): the SLA job's first run in the demo escalates a few, not most.
_AGE_HOURS: dict[ComplaintStatus, tuple[int, int]] = {
    S.SUBMITTED: (1, 8),
    S.ACKNOWLEDGED: (48, 120),
    S.INVESTIGATING: (4 * 24, 12 * 24),
    S.AWAITING_CUSTOMER: (8 * 24, 20 * 24),
    S.RESOLUTION_PROPOSED: (8 * 24, 20 * 24),
    S.RESOLVED: (40 * 24, 360 * 24),
    S.CLOSED: (40 * 24, 360 * 24),
}


@dataclass(eq=False)
class PlannedComplaint:
    complaint: Complaint
    company: Company
    events: list[ComplaintEvent] = field(default_factory=list)


def build_complaints(ctx: SeedContext) -> list[PlannedComplaint]:
    rng = ctx.rng
    persona = ctx.persona_company("customer")
    planned = [
        _complaint(ctx, persona, S.INVESTIGATING, ComplaintCategory.DELAY),
        _complaint(ctx, persona, S.CLOSED, ComplaintCategory.BILLING),
    ]
    others = [c for c in ctx.companies if not c.persona]
    statuses = [s for s, count in STATUS_COUNTS.items() for _ in range(count)]
    for status, category in zip(statuses, ctx.spread(list(ComplaintCategory), len(statuses)), strict=True):
        planned.append(
            _complaint(
                ctx, None if category in _SHIPMENT_CATEGORIES else rng.choice(others), status, category
            )
        )
    planned.sort(key=lambda p: p.complaint.created_at)
    sequence: dict[int, int] = {}
    for p in planned:
        year = p.complaint.created_at.astimezone(ctx.tz).year
        sequence[year] = sequence.get(year, 0) + 1
        p.complaint.ticket = f"CP-{year}-{sequence[year]:06d}"
    return planned


def complaint_events(planned: list[PlannedComplaint]) -> list[ComplaintEvent]:
    """The planned events, now that their complaints have ids."""
    for p in planned:
        for event in p.events:
            event.complaint_id = p.complaint.id
    return [e for p in planned for e in p.events]


def _complaint(
    ctx: SeedContext, company: Company | None, status: ComplaintStatus, category: ComplaintCategory
) -> PlannedComplaint:
    """A complaint of `company`, or of the owner of a shipment it is about when no company is given."""
    rng = ctx.rng
    open_ = status not in (S.RESOLVED, S.CLOSED)
    lo, hi = _AGE_HOURS[status]
    start = ctx.cut - dt.timedelta(minutes=rng.randint(lo * 60, hi * 60))
    shipment = _shipment(ctx, company, start) if category in _SHIPMENT_CATEGORIES else None
    if company is None:
        if shipment is None:
            raise LookupError("no shipment to complain about")  # cannot happen with ~600 shipments in a year
        company = shipment.company
    department = ROUTING[category]
    handler = _handler(ctx, company, department)
    complaint = Complaint(
        ticket="",
        customer_id=company.customer.id,
        contact_id=company.primary.id,
        category=category,
        department=department,
        shipment_id=shipment.shipment.id if shipment else None,
        shipment_snapshot=_snapshot(shipment, start) if shipment else None,
        description=_description(ctx, category, shipment),
        status=status,
        created_at=start,
    )
    planned = PlannedComplaint(complaint, company)
    at = start
    _event(planned, at, "created", None, S.SUBMITTED, contact=True)
    path = _PATH[: _PATH.index(status) + 1] if status != S.AWAITING_CUSTOMER else _PATH[:3]
    for previous, current in itertools.pairwise(path):
        at += dt.timedelta(minutes=rng.randint(40, 36 * 60) if open_ else rng.randint(60, 4 * 24 * 60))
        if current == S.ACKNOWLEDGED:
            complaint.assigned_to_id, complaint.acknowledged_at = handler.id, at
        if current == S.RESOLUTION_PROPOSED:
            if rng.random() < 0.5:  # the handler needed something from the customer first
                at = _ask(ctx, planned, handler, at, answered=True)
            complaint.resolution = RESOLUTIONS[category]
        text = complaint.resolution if current == S.RESOLUTION_PROPOSED else None
        _event(planned, at, "status", previous, current, staff=handler, text=text)
        if current == S.INVESTIGATING:
            at += dt.timedelta(minutes=rng.randint(30, 8 * 60))
            _event(planned, at, "note", None, None, staff=handler, text=rng.choice(STAFF_NOTES[department]))
        if current == S.RESOLVED:
            complaint.resolved_at = at
            complaint.root_cause = rng.choice(ROOT_CAUSES[category])
            complaint.corrective_action = rng.choice(CORRECTIVE_ACTIONS)
        if current == S.CLOSED:
            complaint.closed_at = at
            complaint.satisfaction = rng.choices(
                [s for s, _ in _SATISFACTION], [w for _, w in _SATISFACTION]
            )[0]
            complaint.satisfaction_comment = SATISFACTION_COMMENTS[complaint.satisfaction]
            _event(planned, at, "rating", None, None, contact=True, text=complaint.satisfaction_comment)
    if status == S.AWAITING_CUSTOMER:
        at = _ask(ctx, planned, handler, at, answered=False)
    complaint.updated_at = at
    return planned


def _ask(
    ctx: SeedContext, planned: PlannedComplaint, handler: Staff, at: dt.datetime, *, answered: bool
) -> dt.datetime:
    """Investigating → awaiting customer (a question), and back once the customer has answered."""
    rng = ctx.rng
    at += dt.timedelta(minutes=rng.randint(60, 12 * 60))
    _event(
        planned, at, "status", S.INVESTIGATING, S.AWAITING_CUSTOMER, staff=handler, text=rng.choice(QUESTIONS)
    )
    if answered:
        at += dt.timedelta(minutes=rng.randint(60, 24 * 60))
        _event(planned, at, "message", None, None, contact=True, text=rng.choice(CUSTOMER_REPLIES))
        at += dt.timedelta(minutes=rng.randint(10, 120))
        _event(planned, at, "status", S.AWAITING_CUSTOMER, S.INVESTIGATING, staff=handler)
        at += dt.timedelta(minutes=rng.randint(60, 24 * 60))
    return at


def _event(
    planned: PlannedComplaint,
    at: dt.datetime,
    kind: str,
    from_status: ComplaintStatus | None,
    to_status: ComplaintStatus | None,
    *,
    staff: Staff | None = None,
    contact: bool = False,
    text: str | None = None,
) -> None:
    planned.events.append(
        ComplaintEvent(
            at=at,
            kind=kind,
            from_status=from_status,
            to_status=to_status,
            staff_id=staff.id if staff else None,
            contact_id=planned.complaint.contact_id if contact else None,
            text=text,
        )
    )


def _handler(ctx: SeedContext, company: Company, department: Role) -> Staff:
    """The account manager takes market-department complaints; the persona's go to the staff personas."""
    if department == Role.MARKET:
        return next(s for s in ctx.staff if s.id == company.customer.account_manager_id)
    if company.persona:
        return ctx.persona_staff(department.value)
    return ctx.rng.choice(ctx.by_role(department))


def _shipment(ctx: SeedContext, company: Company | None, start: dt.datetime) -> PlannedShipment | None:
    """A shipment under way before the complaint: the company's, or any non-persona customer's."""
    candidates = [
        s
        for s in ctx.shipments
        if (s.company is company if company else not s.company.persona) and s.events[0].occurred_at < start
    ]
    return ctx.rng.choice(candidates) if candidates else None


def _snapshot(planned: PlannedShipment, at: dt.datetime) -> dict[str, Any]:
    """The shipment as the customer saw it when complaining: its latest event before that moment."""
    shipment = planned.shipment
    last = [e for e in planned.events if e.occurred_at <= at][-1]
    return {
        "bl_number": shipment.bl_number,
        "booking_ref": shipment.booking_ref,
        "vessel_name": shipment.vessel_name,
        "voyage": shipment.voyage,
        "port_of_loading": shipment.port_of_loading,
        "port_of_discharge": shipment.port_of_discharge,
        "status": last.event_type.value,
        "location": last.location,
        "at": last.occurred_at.isoformat(),
        "containers": [c.number for c in shipment.containers],
    }


def _description(ctx: SeedContext, category: ComplaintCategory, shipment: PlannedShipment | None) -> str:
    """The customer's words; texts about cargo fit the direction of the shipment they name."""
    direction = shipment.shipment.direction if shipment else None
    texts = COMPLAINT_TEXTS[category]
    text = ctx.rng.choice([t for d, t in texts if d in (None, direction)] or [t for _, t in texts])
    bl = shipment.shipment.bl_number if shipment else ""
    container = shipment.shipment.containers[0].number if shipment else ""
    return text.format(bl=bl, container=container, amount=ctx.rng.randint(8, 120) * 100)
