"""What a shipment's status card shows, read in one short transaction as plain values.

The chat renders the card after the commit, so it holds no ORM objects: only the shipment's fields, its
containers, the latest events (oldest first), whether the reader subscribed to updates, and each box's free
time and charges (free_time/) when the caller gives the rules to count them by.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CargoEventType, ShipmentDirection
from portcrm.models import CargoEvent, Container, Shipment, ShipmentSubscription
from portcrm.models.base import utcnow
from portcrm.services.tracking.free_time.facts import shipment_free_time
from portcrm.services.tracking.free_time.milestones import BoxFreeTime
from portcrm.services.tracking.free_time.rules import FreeTimeRules
from portcrm.services.tracking.release import ReleaseStatus, payment_overdue, release_status
from portcrm.storage.transaction import transactional

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


@transactional
async def read_status_card(
    session: AsyncSession,
    shipment: Shipment,
    contact_id: int | None,
    *,
    today: dt.date,
    free_time: FreeTimeRules | None = None,
) -> StatusCard:
    """Read everything the card shows in one transaction: the chat edge renders after it.

    The caller has already made sure the reader may see this shipment (`tracking` scopes every lookup).
    `today` is the port's date, for the ledger's overdue invoices.
    """
    events = list(
        await session.scalars(
            select(CargoEvent)
            .where(CargoEvent.shipment_id == shipment.id)
            .order_by(CargoEvent.occurred_at.desc(), CargoEvent.id.desc())
        )
    )
    latest = events[:TIMELINE_LENGTH]
    subscribed = await session.scalar(
        select(
            exists().where(
                ShipmentSubscription.contact_id == contact_id,
                ShipmentSubscription.shipment_id == shipment.id,
            )
        )
    )
    containers = list(
        await session.scalars(
            select(Container).where(Container.shipment_id == shipment.id).order_by(Container.number)
        )
    )
    release = None
    if shipment.direction is ShipmentDirection.IMPORT:
        overdue = await payment_overdue(session, shipment.id, today)
        release = release_status(
            shipment.direction, [c.number for c in containers], events, payment_overdue=overdue
        )
    return StatusCard(
        shipment_id=shipment.id,
        bl_number=shipment.bl_number,
        booking_ref=shipment.booking_ref,
        cargo_description=shipment.cargo_description,
        direction=shipment.direction,
        vessel_name=shipment.vessel_name,
        voyage=shipment.voyage,
        port_of_loading=shipment.port_of_loading,
        port_of_discharge=shipment.port_of_discharge,
        status=shipment.status,
        location=shipment.location,
        etd=shipment.etd,
        eta=shipment.eta,
        ata=shipment.ata,
        atd=shipment.atd,
        customs_hold=shipment.customs_hold,
        payment_hold=shipment.payment_hold,
        completed=shipment.completed,
        containers=tuple(ContainerInfo(c.number, c.size_type) for c in containers),
        timeline=tuple(
            TimelineEntry(e.occurred_at, e.event_type, e.location, e.container_number)
            for e in reversed(latest)
        ),
        earlier_events=len(events) - len(latest),
        subscribed=contact_id is not None and bool(subscribed),
        release=release,
        free_time=await shipment_free_time(session, shipment, free_time, utcnow()) if free_time else (),
    )
