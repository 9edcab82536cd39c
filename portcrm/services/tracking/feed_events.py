"""Terminal and carrier events, normalised from any feed, and the one door they come in by.

The adapters (portcrm/feeds/dcsa for DCSA Track & Trace JSON, portcrm/feeds/edifact for CODECO, COARRI
and IFTSTA) translate what they receive into `FeedEvent`s and call `ingest_feed_events`; they never touch
shipments themselves, so the rules below hold whichever feed an event came by:

- an event is received once: its source's own id is remembered, and the same event again changes nothing;
- events arrive late and out of order: a shipment's state is derived from all its events (cargo_state.py),
  so an older event never overwrites a newer state;
- an arrival or departure time is taken from an actual over any estimate, and from the estimate its source
  made last (`reported_at`), whatever order they arrive in;
- an event naming no known shipment is kept (models/feeds.py `UnmatchedFeedEvent`) and replayed when the
  shipment is imported.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.enums import CargoEventType, TimeClassifier, Written
from portcrm.models import CargoEvent, FeedEventReceipt, Shipment
from portcrm.models.base import utcnow
from portcrm.services.tracking.events import LOCATION_LENGTH, CargoEventBatch, EventRefused, ReportedEvent
from portcrm.services.tracking.feed_matching import VESSEL_CALL_EVENTS, Matcher, waiting_for, waiting_row
from portcrm.services.tracking.pickup_alerts import push_newly_available
from portcrm.services.tracking.release import overdue_shipments
from portcrm.services.tracking.shipments import reference_of
from portcrm.services.tracking.vessel_times import Superseded, push_eta_change, take_time
from portcrm.settings import Locale
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)
FEED = Actor(label="feed", source="feed")
_CHUNK = 250  # two bound values per receipt, below SQLite's limit


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One terminal or carrier event as a feed reported it, before it is matched to a shipment.

    Transport events (a vessel's arrival or departure) are VESSEL_ARRIVED / VESSEL_DEPARTED with a
    classifier: planned and estimated ones set the ETA or ETD of every shipment on that vessel call (by IMO
    number and voyage), actual ones are recorded as cargo events and set the ATA or ATD.
    """

    source: str  # "dcsa:<subscription id>" or "edi:<partner>": where `event_id` is unique
    event_id: str  # DCSA eventID; for EDIFACT, sender, control reference, message and position
    event_type: CargoEventType
    occurred_at: dt.datetime  # aware: when it happened (or is planned or expected to)
    reported_at: dt.datetime | None = None  # aware: when the source said so; orders estimates of one call
    classifier: TimeClassifier = TimeClassifier.ACTUAL
    container_number: str = ""  # ISO 6346, normalised; "" when the event is about no one box
    empty: bool | None = None  # for equipment events: whether the box was empty
    references: tuple[str, ...] = ()  # B/L numbers or booking references it names, normalised
    vessel_imo: str | None = None
    voyage: str | None = None
    location: str | None = None  # UN/LOCODE and facility, as a customer reads it

    def to_payload(self) -> dict[str, Any]:
        """As JSON values, to keep while it waits for its shipment."""
        payload = dataclasses.asdict(self)
        for name in ("occurred_at", "reported_at"):
            if payload[name] is not None:
                payload[name] = payload[name].isoformat()
        payload["references"] = list(self.references)
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> FeedEvent:
        values = dict(payload)
        for name in ("occurred_at", "reported_at"):
            if values.get(name):
                values[name] = dt.datetime.fromisoformat(values[name])
        values["event_type"] = CargoEventType(values["event_type"])
        values["classifier"] = TimeClassifier(values["classifier"])
        values["references"] = tuple(values["references"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What became of a batch: every event received is counted in exactly one of the last four."""

    received: int
    recorded: int  # written as new cargo events (or, for estimates, as a new ETA/ETD)
    repeated: int  # received before: nothing changed
    superseded: int  # an older estimate than the one held, or an estimate after the actual: nothing changed
    unmatched: int  # kept until their shipment is imported


async def ingest_feed_events(
    session: AsyncSession,
    events: Sequence[FeedEvent],
    *,
    tz: ZoneInfo,
    default_locale: Locale,
    eta_change: dt.timedelta,
) -> IngestResult:
    """Take a batch of feed events in the caller's transaction (or one of its own).

    Events received before (by source and id) are skipped; the rest are remembered, matched and written
    as cargo events, ETA/ETD updates or waiting events, and pushed to the shipments' subscribers.
    """
    async with transaction(session):
        fresh = await _first_receipts(session, events)
        session.add_all(FeedEventReceipt(source=e.source, event_id=e.event_id) for e in fresh)
        outcome = await _apply(session, fresh, tz=tz, default_locale=default_locale, eta_change=eta_change)
        session.add_all(waiting_row(e) for e in outcome.waiting)
    if outcome.recorded or outcome.waiting:
        log.info(
            "feed events: %d received, %d recorded, %d waiting for their shipment",
            len(events),
            outcome.recorded,
            len(outcome.waiting),
        )
    return IngestResult(
        received=len(events),
        recorded=outcome.recorded,
        repeated=len(events) - len(fresh) + outcome.repeated,
        superseded=outcome.superseded,
        unmatched=len(outcome.waiting),
    )


async def match_waiting_events(
    session: AsyncSession,
    shipments: Sequence[Shipment],
    *,
    tz: ZoneInfo,
    default_locale: Locale,
) -> int:
    """Replay the waiting events that name these shipments, just imported; returns how many matched.

    Runs in the caller's transaction (the import's), so the events and the shipments commit together. A
    replayed estimate pushes no "new arrival time": nobody subscribed to a shipment that did not exist.
    """
    rows = await waiting_for(session, shipments)
    if not rows:
        return 0
    events = [FeedEvent.from_payload(row.payload) for row in rows]
    outcome = await _apply(session, events, tz=tz, default_locale=default_locale, eta_change=None)
    still_waiting = {(e.source, e.event_id) for e in outcome.waiting}
    matched = [row for row in rows if (row.source, row.event_id) not in still_waiting]
    for row in matched:
        row.matched_at = utcnow()
    return len(matched)


@dataclass(slots=True)
class _Outcome:
    recorded: int = 0
    repeated: int = 0
    superseded: int = 0
    waiting: list[FeedEvent] = dataclasses.field(default_factory=list)


async def _first_receipts(session: AsyncSession, events: Sequence[FeedEvent]) -> list[FeedEvent]:
    """The events not received before, each once, in the order given."""
    seen: set[tuple[str, str]] = set()
    keys = sorted({(e.source, e.event_id) for e in events})
    for start in range(0, len(keys), _CHUNK):
        part = keys[start : start + _CHUNK]
        rows = await session.execute(
            select(FeedEventReceipt.source, FeedEventReceipt.event_id).where(
                tuple_(FeedEventReceipt.source, FeedEventReceipt.event_id).in_(part)
            )
        )
        seen.update(tuple(row) for row in rows)
    fresh = []
    for event in events:
        if (event.source, event.event_id) not in seen:
            seen.add((event.source, event.event_id))
            fresh.append(event)
    return fresh


async def _apply(
    session: AsyncSession,
    events: Sequence[FeedEvent],
    *,
    tz: ZoneInfo,
    default_locale: Locale,
    eta_change: dt.timedelta | None,
) -> _Outcome:
    outcome = _Outcome()
    if not events:
        return outcome
    matcher = await Matcher.load(session, events)
    matched = [(event, matcher.shipments_for(event)) for event in events]
    outcome.waiting = [event for event, shipments in matched if not shipments]
    shipments = {s.id: s for _, found in matched for s in found}
    stored = await session.scalars(select(CargoEvent).where(CargoEvent.shipment_id.in_(sorted(shipments))))
    batch = CargoEventBatch(
        session,
        {reference_of(s): s for s in shipments.values()},
        stored,
        source="feed",
        recorded_by_id=None,
    )
    before = {s.id: batch.events_of(s.id) for s in shipments.values()}
    moved_eta: dict[int, dt.datetime] = {}
    for event, found in matched:
        written = False
        for shipment in found:
            if event.event_type in VESSEL_CALL_EVENTS:
                try:
                    previous = take_time(
                        shipment, event.event_type, event.classifier, event.occurred_at, event.reported_at
                    )
                except Superseded:
                    continue
                written = True
                if eta_change and event.event_type is CargoEventType.VESSEL_ARRIVED and previous is not None:
                    moved_eta.setdefault(shipment.id, previous)
                if event.classifier is not TimeClassifier.ACTUAL:
                    continue
            written |= _record(batch, shipment, event)
        if written:
            outcome.recorded += 1
        elif found and event.event_type in VESSEL_CALL_EVENTS:
            outcome.superseded += 1
        elif found:
            outcome.repeated += 1
    set_actor(session, FEED)
    await batch.finish(tz=tz, default_locale=default_locale)
    for shipment_id, previous in moved_eta.items():
        await push_eta_change(
            session,
            shipments[shipment_id],
            previous,
            threshold=eta_change,
            tz=tz,
            default_locale=default_locale,
        )
    changed = [s.id for s in shipments.values() if len(batch.events_of(s.id)) != len(before[s.id])]
    overdue = await overdue_shipments(session, changed, dt.datetime.now(tz).date())
    for shipment in shipments.values():
        await push_newly_available(
            session,
            shipment,
            before[shipment.id],
            batch.events_of(shipment.id),
            payment_overdue=shipment.id in overdue,
            tz=tz,
            default_locale=default_locale,
        )
    return outcome


def _record(batch: CargoEventBatch, shipment: Shipment, event: FeedEvent) -> bool:
    """Write the event on the shipment unless the same one is stored (from another feed, or a file)."""
    reported = ReportedEvent(
        reference=reference_of(shipment),
        event_type=event.event_type,
        # to the minute, like files and /event, so the same event from two sources is one event
        occurred_at=event.occurred_at.astimezone(dt.UTC).replace(second=0, microsecond=0),
        container_number=event.container_number,  # the matcher found the box on this shipment
        location=event.location[:LOCATION_LENGTH] if event.location else None,
    )
    try:
        batch.check(reported)
    except EventRefused:
        return False  # the same event twice in this batch, by two ids
    _, written = batch.write(reported)
    return written is Written.CREATED
