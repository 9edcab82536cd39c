"""Reading the boxes and events the clocks need: every box whose free time may end soon, for the alert job
(a status card reads its own, status_cards.py, and makes its boxes with `boxes_of`). Reads only; the caller
holds the transaction."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from portcrm.enums import ShipmentDirection
from portcrm.models import CargoEvent, Container, Customer, Shipment
from portcrm.services.tracking.free_time.clocks import ClockEvents
from portcrm.services.tracking.free_time.milestones import (
    CLOCK_EVENT_TYPES,
    CLOCKS,
    BoxFreeTime,
    Milestone,
    box_free_time,
)
from portcrm.services.tracking.free_time.rules import FreeTimeRules

_CHUNK = 500  # below SQLite's bound-variable limit


@dataclass(frozen=True, slots=True)
class Box:
    number: str
    size_type: str | None
    milestones: tuple[Milestone, ...]  # its own events and the whole shipment's


@dataclass(frozen=True, slots=True)
class ShipmentBoxes:
    shipment_id: int
    reference: str
    direction: ShipmentDirection
    customer_id: int
    customer_code: str
    customer_name: str
    account_manager_id: int | None
    boxes: tuple[Box, ...]

    def free_time(self, rules: FreeTimeRules, now: dt.datetime) -> list[BoxFreeTime]:
        """Each box whose clocks have started, with its clocks as of `now`."""
        found = (
            box_free_time(
                box.number,
                box.size_type,
                box.milestones,
                direction=self.direction,
                customer_code=self.customer_code,
                rules=rules,
                now=now,
            )
            for box in self.boxes
        )
        return [box for box in found if box.started]


def boxes_of(on_file: dict[str, str | None], told: dict[str, list[Milestone]]) -> tuple[Box, ...]:
    """A shipment's boxes: each container listed on it (number: size-type), and any other container number
    its clock events name (number: milestones in time order; "" is the whole shipment, for every box)."""
    whole = tuple(told.get("", ()))
    numbers = sorted(set(on_file) | {number for number in told if number})
    return tuple(Box(n, on_file.get(n), (*told.get(n, ()), *whole)) for n in numbers)


async def shipment_boxes(session: AsyncSession, shipment_ids: Sequence[int]) -> list[ShipmentBoxes]:
    """The shipments' boxes and clock events, in the order of `shipment_ids`.

    A box is each container listed on the shipment, and any other container number its events name.
    """
    found: list[ShipmentBoxes] = []
    for start in range(0, len(shipment_ids), _CHUNK):
        chunk = list(shipment_ids[start : start + _CHUNK])
        heads = {
            row.id: row
            for row in await session.execute(
                select(
                    Shipment.id,
                    Shipment.bl_number,
                    Shipment.booking_ref,
                    Shipment.direction,
                    Shipment.customer_id,
                    Customer.code,
                    Customer.name,
                    Customer.account_manager_id,
                )
                .join(Customer, Customer.id == Shipment.customer_id)
                .where(Shipment.id.in_(chunk))
            )
        }
        sizes: dict[int, dict[str, str | None]] = defaultdict(dict)
        for shipment_id, number, size_type in await session.execute(
            select(Container.shipment_id, Container.number, Container.size_type)
            .where(Container.shipment_id.in_(chunk))
            .order_by(Container.shipment_id, Container.number)
        ):
            sizes[shipment_id][number] = size_type
        events: dict[int, dict[str, list[Milestone]]] = defaultdict(lambda: defaultdict(list))
        for shipment_id, number, kind, at in await session.execute(
            select(
                CargoEvent.shipment_id,
                CargoEvent.container_number,
                CargoEvent.event_type,
                CargoEvent.occurred_at,
            )
            .where(CargoEvent.shipment_id.in_(chunk), CargoEvent.event_type.in_(CLOCK_EVENT_TYPES))
            .order_by(CargoEvent.occurred_at, CargoEvent.id)
        ):
            events[shipment_id][number].append((kind, at))
        for shipment_id in chunk:
            head = heads.get(shipment_id)
            if head is None:
                continue
            boxes = boxes_of(sizes[shipment_id], events[shipment_id])
            reference = head.bl_number or head.booking_ref or ""  # as shipments.reference_of names it
            found.append(
                ShipmentBoxes(
                    shipment_id,
                    reference,
                    head.direction,
                    head.customer_id,
                    head.code,
                    head.name,
                    head.account_manager_id,
                    boxes,
                )
            )
    return found


async def shipments_with_running_clocks(
    session: AsyncSession, *, started_after: dt.datetime, started_before: dt.datetime
) -> list[int]:
    """Shipments with a clock that started in the window and has no stop event since: a superset of those
    whose free time may end soon (the clocks themselves decide), in one pass over the window's events.

    The window is read through the index on cargo_events (event_type, occurred_at) (migration 0012); the
    stop check is a lookup in the events' unique index.
    """
    stop = aliased(CargoEvent)

    def running(spec: ClockEvents) -> ColumnElement[bool]:
        return ~exists().where(
            stop.shipment_id == CargoEvent.shipment_id,
            stop.container_number.in_([CargoEvent.container_number, ""]),
            stop.event_type == spec.stops,
            stop.occurred_at >= CargoEvent.occurred_at,
        )

    started = [
        and_(Shipment.direction == direction, CargoEvent.event_type == spec.starts, running(spec))
        for direction, specs in CLOCKS.items()
        for spec in specs
    ]
    ids = await session.scalars(
        select(CargoEvent.shipment_id)
        .join(Shipment, Shipment.id == CargoEvent.shipment_id)
        .where(
            CargoEvent.event_type.in_({spec.starts for specs in CLOCKS.values() for spec in specs}),
            CargoEvent.occurred_at >= started_after,
            CargoEvent.occurred_at < started_before,
            or_(*started),
        )
        .distinct()
        .order_by(CargoEvent.shipment_id)
    )
    return list(ids)
