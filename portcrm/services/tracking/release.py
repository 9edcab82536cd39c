"""Whether a box can be picked up (能否提货): an import box may leave once discharged, released by customs
and by the carrier, and free of any payment hold.

Derived from all of the shipment's events in time order, like the rest of its state (cargo_state.py), so a
hold reported late after a release that happened later does not block the box, and a release reported late
lifts a hold placed before it. An event naming no container speaks for every box of the shipment (customs
usually release a whole B/L); one naming a box speaks for that box only (a box picked for inspection).
The terminal's own "available for pick-up" counts as both releases, as terminals only say so once both
came. A payment hold is a PAYMENT_HOLD event not yet lifted, or an overdue unpaid invoice for the shipment
in the receivables ledger (`payment_overdue`).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CargoEventType as T
from portcrm.enums import ShipmentDirection
from portcrm.models import Invoice
from portcrm.services.receivables.ledger import is_open


class Release(enum.StrEnum):
    PENDING = "pending"
    HELD = "held"
    RELEASED = "released"


class Pickup(enum.StrEnum):
    """A box's answer, in the order they are checked."""

    GATED_OUT = "gated_out"  # already left the terminal full
    NOT_DISCHARGED = "not_discharged"
    HELD = "held"  # a customs, carrier or payment hold
    AWAITING_RELEASE = "awaiting_release"  # no hold, but customs or the carrier have not released it
    AVAILABLE = "available"


class EventLike(Protocol):
    @property
    def event_type(self) -> T: ...
    @property
    def occurred_at(self) -> dt.datetime: ...
    @property
    def container_number(self) -> str: ...


@dataclass(frozen=True, slots=True)
class BoxRelease:
    number: str
    pickup: Pickup
    customs: Release
    carrier: Release
    discharged_at: dt.datetime | None
    gated_out_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ReleaseStatus:
    payment_hold: bool
    boxes: tuple[BoxRelease, ...]

    def count(self, pickup: Pickup) -> int:
        return sum(box.pickup is pickup for box in self.boxes)


_CHUNK = 500  # below SQLite's bound-variable limit
_CUSTOMS = {T.CUSTOMS_HOLD: Release.HELD, T.CUSTOMS_RELEASED: Release.RELEASED}
_CARRIER = {T.CARRIER_HOLD: Release.HELD, T.CARRIER_RELEASED: Release.RELEASED}
_PAYMENT = {T.PAYMENT_HOLD: True, T.PAYMENT_RELEASED: False}
_GONE = {T.GATE_OUT, T.DELIVERED, T.EMPTY_RETURNED}


def release_status(
    direction: ShipmentDirection,
    containers: Sequence[str],
    events: Iterable[EventLike],
    *,
    payment_overdue: bool,
) -> ReleaseStatus | None:
    """Each box's answer; None for a shipment that is not picked up here (export, transshipment)."""
    if direction is not ShipmentDirection.IMPORT:
        return None
    ordered = sorted(events, key=lambda e: e.occurred_at)
    payment_held = False
    for event in ordered:
        payment_held = _PAYMENT.get(event.event_type, payment_held)
    payment_hold = payment_held or payment_overdue
    numbers = list(containers) or sorted({e.container_number for e in ordered if e.container_number})
    return ReleaseStatus(payment_hold, tuple(_box(n, ordered, payment_hold) for n in numbers))


def _box(number: str, ordered: Sequence[EventLike], payment_hold: bool) -> BoxRelease:
    customs = carrier = Release.PENDING
    discharged_at = gated_out_at = None
    for event in ordered:
        if event.container_number not in ("", number):
            continue
        kind = event.event_type
        customs = _CUSTOMS.get(kind, customs)
        carrier = _CARRIER.get(kind, carrier)
        if kind is T.AVAILABLE_FOR_PICKUP:
            customs = carrier = Release.RELEASED
        if kind is T.DISCHARGED:
            discharged_at = event.occurred_at
        if kind in _GONE and discharged_at is not None and gated_out_at is None:
            gated_out_at = event.occurred_at
    if gated_out_at is not None:
        pickup = Pickup.GATED_OUT
    elif discharged_at is None:
        pickup = Pickup.NOT_DISCHARGED
    elif Release.HELD in (customs, carrier) or payment_hold:
        pickup = Pickup.HELD
    elif Release.PENDING in (customs, carrier):
        pickup = Pickup.AWAITING_RELEASE
    else:
        pickup = Pickup.AVAILABLE
    return BoxRelease(number, pickup, customs, carrier, discharged_at, gated_out_at)


async def payment_overdue(session: AsyncSession, shipment_id: int, today: dt.date) -> bool:
    """Whether the ledger holds an unpaid invoice for this shipment past its due date."""
    return shipment_id in await overdue_shipments(session, [shipment_id], today)


async def overdue_shipments(session: AsyncSession, shipment_ids: Sequence[int], today: dt.date) -> set[int]:
    """Those of these shipments with an unpaid invoice past its due date: one query for a feed's batch."""
    found: set[int] = set()
    for start in range(0, len(shipment_ids), _CHUNK):
        part = shipment_ids[start : start + _CHUNK]
        rows = await session.scalars(
            select(Invoice.shipment_id)
            .where(Invoice.shipment_id.in_(part), is_open(), Invoice.due_on < today)
            .distinct()
        )
        found.update(row for row in rows if row is not None)
    return found
