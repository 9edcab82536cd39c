""" "Can I pick up?" (能否提货): an import box may leave once discharged, released by customs and by the
carrier, and free of any payment hold.

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
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CargoEventType as T
from portcrm.enums import ShipmentDirection
from portcrm.i18n import gettext_for
from portcrm.models import CargoEvent, Invoice, Shipment
from portcrm.services.receivables.ledger import is_open
from portcrm.services.tracking.pushes import push_to_subscribers
from portcrm.services.tracking.shipments import reference_of
from portcrm.settings import Locale


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
    query = select(exists().where(Invoice.shipment_id == shipment_id, is_open(), Invoice.due_on < today))
    return bool(await session.scalar(query))


PICKUP_KIND = "pickup_available"


async def push_newly_available(
    session: AsyncSession,
    shipment: Shipment,
    before: Sequence[CargoEvent],
    after: Sequence[CargoEvent],
    *,
    today: dt.date,
    tz: ZoneInfo,
    default_locale: Locale,
) -> int:
    """Tell the subscribers about each box that these events made available for pick-up.

    Keyed by the box and the newest event's time, so a box held and released again is told again.
    """
    if shipment.direction is not ShipmentDirection.IMPORT or len(after) == len(before):
        return 0
    overdue = await payment_overdue(session, shipment.id, today)
    was = _pickups(shipment, before, overdue)
    now = _pickups(shipment, after, overdue)
    boxes = [n for n, pickup in now.items() if pickup is Pickup.AVAILABLE and was.get(n) is not pickup]
    if not boxes:
        return 0
    newest = max(e.occurred_at for e in after)

    def text(locale: Locale) -> str:
        _ = gettext_for(locale)
        reference = html.escape(reference_of(shipment))
        return "\n".join(
            [
                "✅ " + _("<b>Ready for pick-up</b> · {reference}").format(reference=reference),
                _("Discharged, released by customs and by the carrier, no payment hold."),
                _("Containers: {numbers}").format(numbers=", ".join(boxes)),
            ]
        )

    return await push_to_subscribers(
        session,
        shipment,
        kind=PICKUP_KIND,
        key=f"pickup:{shipment.id}:{','.join(boxes)}:{newest:%Y%m%dT%H%M}",
        text=text,
        default_locale=default_locale,
    )


def _pickups(shipment: Shipment, events: Sequence[CargoEvent], overdue: bool) -> dict[str, Pickup]:
    numbers = [c.number for c in shipment.containers]
    status = release_status(shipment.direction, numbers, events, payment_overdue=overdue)
    return {box.number: box.pickup for box in status.boxes} if status else {}
