"""What a shipment's status card shows, read as plain values by three statements.

The chat renders the card after the commit, so it holds no ORM objects: only the shipment's fields, its
containers, the latest events (oldest first), whether the reader subscribed to updates, and each box's free
time and charges (free_time/) when the caller gives the rules to count them by.

A card is what a customer asks for most, so its reads are few and cheap: the shipment, found by id, B/L or
booking number or container number and scoped to the reader's company, comes with its customer's code,
the reader's subscription and the ledger's overdue invoices in one row; then its events; then its
containers. The statements are built once, as Core over the tables (no ORM objects to make, and SQLAlchemy
finds them compiled by their identity), and run together in one pass through SQLAlchemy's greenlet.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from portcrm.enums import CargoEventType, ShipmentDirection
from portcrm.models import CargoEvent, Container, Customer, Invoice, Shipment, ShipmentSubscription
from portcrm.models.base import utcnow
from portcrm.services.tracking.free_time.facts import ShipmentBoxes, boxes_of
from portcrm.services.tracking.free_time.milestones import CLOCK_EVENT_TYPES, BoxFreeTime, Milestone
from portcrm.services.tracking.free_time.rules import FreeTimeRules
from portcrm.services.tracking.release import ReleaseStatus, release_status

TIMELINE_LENGTH = 10


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    occurred_at: dt.datetime
    event_type: CargoEventType
    location: str | None
    container_number: str


@dataclass(frozen=True, slots=True)
class ContainerInfo:
    number: str
    size_type: str | None


@dataclass(frozen=True, slots=True)
class StatusCard:
    shipment_id: int
    bl_number: str | None
    booking_ref: str | None
    cargo_description: str
    direction: ShipmentDirection
    vessel_name: str | None
    voyage: str | None
    port_of_loading: str | None
    port_of_discharge: str | None
    status: CargoEventType | None
    location: str | None
    etd: dt.datetime | None
    eta: dt.datetime | None
    ata: dt.datetime | None
    atd: dt.datetime | None
    customs_hold: bool
    payment_hold: bool
    completed: bool
    containers: tuple[ContainerInfo, ...]
    timeline: tuple[TimelineEntry, ...]  # the latest events, oldest first
    earlier_events: int  # events older than the timeline shows
    subscribed: bool
    release: ReleaseStatus | None  # "can I pick up?", for an import shipment
    free_time: tuple[BoxFreeTime, ...] = ()  # boxes whose demurrage or detention clock has started

    @property
    def reference(self) -> str:
        return self.bl_number or self.booking_ref or ""


@dataclass(frozen=True, slots=True)
class CardOf:
    """Which shipment's card: by id (a button), B/L or booking number, or container number (typed)."""

    shipment_id: int | None = None
    reference: str | None = None
    container: str | None = None


_shipments, _customers, _events, _containers = (
    Shipment.__table__.c,
    Customer.__table__.c,
    CargoEvent.__table__.c,
    Container.__table__.c,
)
_subscriptions, _invoices = ShipmentSubscription.__table__.c, Invoice.__table__.c


def _head() -> Select[Any]:
    subscribed = exists().where(
        _subscriptions.contact_id == bindparam("contact_id"), _subscriptions.shipment_id == _shipments.id
    )
    overdue = exists().where(  # the ledger's unpaid invoice past its due date (release.payment_overdue)
        _invoices.shipment_id == _shipments.id,
        _invoices.settled.is_(False),
        _invoices.amount > _invoices.paid_amount,
        _invoices.due_on < bindparam("today"),
    )
    return (
        select(
            _shipments.id,
            _shipments.bl_number,
            _shipments.booking_ref,
            _shipments.cargo_description,
            _shipments.direction,
            _shipments.vessel_name,
            _shipments.voyage,
            _shipments.port_of_loading,
            _shipments.port_of_discharge,
            _shipments.status,
            _shipments.location,
            _shipments.etd,
            _shipments.eta,
            _shipments.ata,
            _shipments.atd,
            _shipments.customs_hold,
            _shipments.payment_hold,
            _shipments.completed,
            _shipments.customer_id,
            _customers.code,
            _customers.name,
            _customers.account_manager_id,
            subscribed.label("subscribed"),
            overdue.label("overdue"),
        )
        .join_from(Shipment.__table__, Customer.__table__, _customers.id == _shipments.customer_id)
        .where(_shipments.customer_id == bindparam("customer_id"))
        .limit(1)
    )


_BY_ID = _head().where(_shipments.id == bindparam("shipment_id"))
_BY_REFERENCE = _head().where(
    (_shipments.bl_number == bindparam("reference")) | (_shipments.booking_ref == bindparam("reference"))
)
# a container number recurs over the years: its most recent active shipment
_BY_CONTAINER = (
    _head()
    .join(Container.__table__, _containers.shipment_id == _shipments.id)
    .where(_containers.number == bindparam("container"))
    .order_by(_shipments.completed, _shipments.created_at.desc(), _shipments.id.desc())
)
_EVENTS = (
    select(_events.occurred_at, _events.event_type, _events.location, _events.container_number)
    .where(_events.shipment_id == bindparam("shipment_id"))
    .order_by(_events.occurred_at.desc(), _events.id.desc())
)
_CONTAINERS = (
    select(_containers.number, _containers.size_type)
    .where(_containers.shipment_id == bindparam("shipment_id"))
    .order_by(_containers.number)
)
_NO_CONTACT = -1  # no subscription row has it


async def find_status_card(
    session: AsyncSession,
    which: CardOf,
    *,
    customer_id: int,
    contact_id: int | None,
    today: dt.date,
    free_time: FreeTimeRules | None = None,
) -> StatusCard | None:
    """The card of the company's shipment `which` names, or None when the company has none such, in the
    caller's transaction. `today` is the port's date, for the ledger's overdue invoices."""
    read = await session.run_sync(_read, which, customer_id, contact_id, today)
    if read is None:
        return None
    head, events, containers = read
    return _card(head, events, containers, contact_id, free_time)


def _read(
    session: Session, which: CardOf, customer_id: int, contact_id: int | None, today: dt.date
) -> tuple[Row[Any], list[Row[Any]], list[Row[Any]]] | None:
    connection = session.connection()
    scope = {"customer_id": customer_id, "contact_id": contact_id or _NO_CONTACT, "today": today}
    if which.shipment_id is not None:
        head = connection.execute(_BY_ID, {**scope, "shipment_id": which.shipment_id}).first()
    elif which.container is not None:
        head = connection.execute(_BY_CONTAINER, {**scope, "container": which.container}).first()
    else:
        head = connection.execute(_BY_REFERENCE, {**scope, "reference": which.reference}).first()
    if head is None:
        return None
    found = {"shipment_id": head.id}
    return head, list(connection.execute(_EVENTS, found)), list(connection.execute(_CONTAINERS, found))


def _card(
    head: Row[Any],
    events: list[Row[Any]],  # the latest first
    containers: list[Row[Any]],
    contact_id: int | None,
    rules: FreeTimeRules | None,
) -> StatusCard:
    latest = events[:TIMELINE_LENGTH]
    release = release_status(
        head.direction, [c.number for c in containers], events, payment_overdue=bool(head.overdue)
    )
    return StatusCard(
        shipment_id=head.id,
        bl_number=head.bl_number,
        booking_ref=head.booking_ref,
        cargo_description=head.cargo_description,
        direction=head.direction,
        vessel_name=head.vessel_name,
        voyage=head.voyage,
        port_of_loading=head.port_of_loading,
        port_of_discharge=head.port_of_discharge,
        status=head.status,
        location=head.location,
        etd=head.etd,
        eta=head.eta,
        ata=head.ata,
        atd=head.atd,
        customs_hold=head.customs_hold,
        payment_hold=head.payment_hold,
        completed=head.completed,
        containers=tuple(ContainerInfo(c.number, c.size_type) for c in containers),
        timeline=tuple(
            TimelineEntry(e.occurred_at, e.event_type, e.location, e.container_number)
            for e in reversed(latest)
        ),
        earlier_events=len(events) - len(latest),
        subscribed=contact_id is not None and bool(head.subscribed),
        release=release,
        free_time=_free_time(head, events, containers, rules) if rules else (),
    )


def _free_time(
    head: Row[Any], events: list[Row[Any]], containers: list[Row[Any]], rules: FreeTimeRules
) -> tuple[BoxFreeTime, ...]:
    """The card's boxes with free time started, in container number order, from what the card read."""
    told: dict[str, list[Milestone]] = defaultdict(list)
    for event in reversed(events):  # oldest first, as the clocks read them
        if event.event_type in CLOCK_EVENT_TYPES:
            told[event.container_number].append((event.event_type, event.occurred_at))
    boxes = ShipmentBoxes(
        head.id,
        head.bl_number or head.booking_ref or "",
        head.direction,
        head.customer_id,
        head.code,
        head.name,
        head.account_manager_id,
        boxes_of({c.number: c.size_type for c in containers}, told),
    )
    return tuple(boxes.free_time(rules, utcnow()))
