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

import datetime as dt
from dataclasses import dataclass

from portcrm.enums import CargoEventType, TimeClassifier


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


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What became of a batch: every event received is counted in exactly one of the last four."""

    received: int
    recorded: int  # written as new cargo events (or, for estimates, as a new ETA/ETD)
    repeated: int  # received before: nothing changed
    superseded: int  # an older estimate than the one held, or an estimate after the actual: nothing changed
    unmatched: int  # kept until their shipment is imported
