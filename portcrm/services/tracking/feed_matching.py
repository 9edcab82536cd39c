"""Which shipment a feed event is about, and the events that wait for a shipment not yet imported.

A box's event names the box: its shipment is the one that lists the box and one of the event's references,
else the box's most recent active shipment (numbers recur over the years). A customs or carrier event names
the B/L or booking. A vessel's arrival or departure names the call (IMO number and voyage): it is about every
active shipment on that call. All of a batch's shipments are fetched in three queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CargoEventType
from portcrm.models import Container, Shipment, UnmatchedFeedEvent

if TYPE_CHECKING:  # feed_events calls this module
    from portcrm.services.tracking.feed_events import FeedEvent

_CHUNK = 500  # below SQLite's bound-variable limit
VESSEL_CALL_EVENTS = frozenset({CargoEventType.VESSEL_ARRIVED, CargoEventType.VESSEL_DEPARTED})


class Matcher:
    """The shipments a batch's events are about, fetched once for the whole batch."""

    def __init__(self) -> None:
        self._by_container: dict[str, list[Shipment]] = defaultdict(list)
        self._by_reference: dict[str, Shipment] = {}
        self._by_vessel: dict[str, list[Shipment]] = defaultdict(list)  # active shipments by IMO number

    @classmethod
    async def load(cls, session: AsyncSession, events: Sequence[FeedEvent]) -> Matcher:
        matcher = cls()
        numbers = sorted({e.container_number for e in events if e.container_number})
        for part in _chunks(numbers):
            rows = await session.execute(
                select(Container.number, Shipment)
                .join(Shipment, Shipment.id == Container.shipment_id)
                .where(Container.number.in_(part))
                # the box's most recent active shipment first
                .order_by(Shipment.completed, Shipment.created_at.desc(), Shipment.id.desc())
            )
            for number, shipment in rows:
                matcher._by_container[number].append(shipment)
        references = sorted({r for e in events for r in e.references})
        for part in _chunks(references):
            found = await session.scalars(
                select(Shipment).where(or_(Shipment.bl_number.in_(part), Shipment.booking_ref.in_(part)))
            )
            for shipment in found:
                for reference in (shipment.bl_number, shipment.booking_ref):
                    if reference:
                        matcher._by_reference[reference] = shipment
        imos = sorted({e.vessel_imo for e in events if e.event_type in VESSEL_CALL_EVENTS and e.vessel_imo})
        for part in _chunks(imos):
            found = await session.scalars(
                select(Shipment).where(Shipment.vessel_imo.in_(part), Shipment.completed.is_(False))
            )
            for shipment in found:
                matcher._by_vessel[shipment.vessel_imo or ""].append(shipment)
        return matcher

    def shipments_for(self, event: FeedEvent) -> list[Shipment]:
        """The shipments the event is about; empty when none is known yet."""
        named = [self._by_reference[r] for r in event.references if r in self._by_reference]
        if event.container_number:
            listing = self._by_container.get(event.container_number, [])
            both = [s for s in listing if s in named]
            return both[:1] or listing[:1]
        if event.event_type in VESSEL_CALL_EVENTS and event.vessel_imo:
            on_call = [
                s for s in self._by_vessel.get(event.vessel_imo, []) if _same_voyage(s.voyage, event.voyage)
            ]
            return _unique([*on_call, *named])
        return _unique(named)


def _same_voyage(stored: str | None, reported: str | None) -> bool:
    """A call without a voyage is the vessel's current call: every active shipment on the vessel."""
    return not reported or (stored or "").strip().upper() == reported.strip().upper()


def _unique(shipments: Iterable[Shipment]) -> list[Shipment]:
    return list({s.id: s for s in shipments}.values())


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


# --- events waiting for their shipment ---


def waiting_row(event: FeedEvent) -> UnmatchedFeedEvent:
    return UnmatchedFeedEvent(
        source=event.source,
        event_id=event.event_id,
        container_number=event.container_number,
        reference=event.references[0] if event.references else "",
        vessel_imo=event.vessel_imo,
        voyage=event.voyage,
        payload=event.to_payload(),
    )


async def waiting_for(session: AsyncSession, shipments: Sequence[Shipment]) -> list[UnmatchedFeedEvent]:
    """The unmatched events that name one of these shipments, by box, reference or vessel."""
    numbers = sorted({c.number for s in shipments for c in s.containers})
    references = sorted({r for s in shipments for r in (s.bl_number, s.booking_ref) if r})
    imos = sorted({s.vessel_imo for s in shipments if s.vessel_imo})
    found: dict[int, UnmatchedFeedEvent] = {}
    for column, values in (
        (UnmatchedFeedEvent.container_number, numbers),
        (UnmatchedFeedEvent.reference, references),
        (UnmatchedFeedEvent.vessel_imo, imos),
    ):
        for part in _chunks(values):
            rows = await session.scalars(
                select(UnmatchedFeedEvent).where(column.in_(part), UnmatchedFeedEvent.matched_at.is_(None))
            )
            found.update((row.id, row) for row in rows)
    return sorted(found.values(), key=lambda row: row.id)
