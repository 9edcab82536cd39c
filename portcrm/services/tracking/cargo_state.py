"""A shipment's current state derived from its events, so that the order they are reported in does not matter.

Replaying all events in time order means an older event reported later cannot overwrite a newer status.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from portcrm.enums import CargoEventType, ShipmentDirection
from portcrm.models import CargoEvent, Shipment

_HOLDS = {
    CargoEventType.CUSTOMS_HOLD: ("customs_hold", True),
    CargoEventType.CUSTOMS_RELEASED: ("customs_hold", False),
    CargoEventType.PAYMENT_HOLD: ("payment_hold", True),
    CargoEventType.PAYMENT_RELEASED: ("payment_hold", False),
}


def shipment_state(direction: ShipmentDirection, events: Iterable[CargoEvent]) -> dict[str, Any]:
    """The fields the events determine; a field no event speaks to is left out, so it stays as stored.

    `completed` is only ever set, never cleared: a shipment closed by staff stays closed.
    """
    state: dict[str, Any] = {}
    for event in sorted(events, key=lambda e: (e.occurred_at, e.id)):
        state["status"] = event.event_type
        if event.location:
            state["location"] = event.location
        if event.event_type is CargoEventType.VESSEL_ARRIVED:
            state["ata"] = event.occurred_at
        if event.event_type is CargoEventType.VESSEL_DEPARTED:
            state["atd"] = event.occurred_at
        if event.event_type in _HOLDS:
            flag, held = _HOLDS[event.event_type]
            state[flag] = held
        if event.event_type is CargoEventType.DELIVERED or (
            event.event_type is CargoEventType.GATE_OUT and direction is ShipmentDirection.IMPORT
        ):
            state["completed"] = True
    return state


def apply_state(shipment: Shipment, events: Iterable[CargoEvent]) -> None:
    """Set the fields that `events`, all of the shipment's, determine where they differ from the stored."""
    for name, value in shipment_state(shipment.direction, events).items():
        if getattr(shipment, name) != value:
            setattr(shipment, name, value)
