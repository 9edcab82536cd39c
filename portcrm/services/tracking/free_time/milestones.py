"""Which events start and stop each clock, by direction, and the clocks of one box from its events.

An import box's demurrage runs from discharge to its full gate-out, its detention from that gate-out to the
empty box's return; an export box's detention runs from the empty pick-up to the laden gate-in, its
demurrage from that gate-in to loading. A transshipment box stays with the carrier: no clock.

Events arrive late and out of order, so a clock is read from all of them: it starts at the earliest start
event and stops at the earliest stop event not before it. An event about the whole shipment (no container
number) speaks for each of its boxes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from portcrm.enums import CargoEventType, ShipmentDirection
from portcrm.services.tracking.free_time.clocks import Clock, ClockEvents, run_clock
from portcrm.services.tracking.free_time.equipment import Equipment, equipment_of
from portcrm.services.tracking.free_time.rules import FreeTimeRules
from portcrm.services.tracking.free_time.tariff import Charge

CLOCKS: dict[ShipmentDirection, tuple[ClockEvents, ...]] = {
    ShipmentDirection.IMPORT: (
        ClockEvents(Charge.DEMURRAGE, CargoEventType.DISCHARGED, CargoEventType.GATE_OUT),
        ClockEvents(Charge.DETENTION, CargoEventType.GATE_OUT, CargoEventType.EMPTY_RETURNED),
    ),
    ShipmentDirection.EXPORT: (
        ClockEvents(Charge.DETENTION, CargoEventType.EMPTY_PICKUP, CargoEventType.GATE_IN),
        ClockEvents(Charge.DEMURRAGE, CargoEventType.GATE_IN, CargoEventType.LOADED),
    ),
}
CLOCK_EVENT_TYPES = frozenset(t for specs in CLOCKS.values() for s in specs for t in (s.starts, s.stops))

Milestone = tuple[CargoEventType, dt.datetime]


@dataclass(frozen=True, slots=True)
class BoxFreeTime:
    """A box's started clocks; `unpriced` names the started ones no tariff line prices."""

    number: str
    size_type: str | None
    equipment: Equipment | None
    clocks: tuple[Clock, ...]
    unpriced: tuple[Charge, ...]

    @property
    def started(self) -> bool:
        return bool(self.clocks or self.unpriced)


def span(milestones: Iterable[Milestone], spec: ClockEvents) -> tuple[dt.datetime, dt.datetime | None] | None:
    """When the clock started and stopped (None while it runs), or None when it has not started."""
    events = list(milestones)
    starts = [at for kind, at in events if kind is spec.starts]
    if not starts:
        return None
    started = min(starts)
    stops = [at for kind, at in events if kind is spec.stops and at >= started]
    return started, min(stops) if stops else None


def box_free_time(
    number: str,
    size_type: str | None,
    milestones: Iterable[Milestone],
    *,
    direction: ShipmentDirection,
    customer_code: str | None,
    rules: FreeTimeRules,
    now: dt.datetime,
) -> BoxFreeTime:
    """The box's clocks as of `now`, each under the line its customer's agreement or the tariff gives."""
    events = list(milestones)
    equipment = equipment_of(size_type)
    clocks: list[Clock] = []
    unpriced: list[Charge] = []
    for spec in CLOCKS.get(direction, ()):
        times = span(events, spec)
        if times is None:
            continue
        applied = (
            rules.tariff.applied(customer_code, spec.charge, direction, equipment.kind) if equipment else None
        )
        if equipment is None or applied is None:
            unpriced.append(spec.charge)
            continue
        clocks.append(
            run_clock(
                spec,
                applied,
                equipment.size,
                *times,
                now=now,
                tz=rules.tz,
                calendar=rules.calendar,
            )
        )
    return BoxFreeTime(number, size_type, equipment, tuple(clocks), tuple(unpriced))
