"""Cargo events: the rules for recording what happened to a shipment, whoever reports it.

The rows of a cargo-events import and an operator's /event both come here. An event names its shipment by
B/L number or booking reference, and at most one container of that shipment. The shipment, container, type
and time are the event's natural key, so reporting an event again only corrects its location or note. The
shipment's state is derived from all of its events (cargo_state.py), and each new event is pushed to the
shipment's subscribers (pushes.py) in the transaction that writes it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.enums import CargoEventType, Written
from portcrm.errors import N_, Conflict, FieldRefused, InvalidInput
from portcrm.identifiers import looks_like_container, normalise_container, normalise_reference
from portcrm.models import CargoEvent, Shipment
from portcrm.services.tracking.cargo_state import apply_state
from portcrm.services.tracking.pushes import notify_subscribers
from portcrm.services.tracking.shipments import reference_of, shipment_for_container
from portcrm.settings import Locale
from portcrm.storage.transaction import transaction

LOCATION_LENGTH = int(CargoEvent.__table__.c["location"].type.length)
NOTE_LENGTH = 2000
_EVENT_TYPES = {member.value.lower(): member for member in CargoEventType}

EventKey = tuple[int, str, CargoEventType, dt.datetime]


class EventRefused(FieldRefused):
    """An event the rules refuse; `field` names the ReportedEvent field at fault."""


@dataclass(frozen=True, slots=True)
class ReportedEvent:
    """An event as reported (a file's row, an operator's message), before the rules have accepted it."""

    reference: str  # the shipment's B/L number or booking reference, normalised
    event_type: CargoEventType
    occurred_at: dt.datetime  # aware
    container_number: str = ""  # "" is the whole shipment, as in the cargo_events natural key
    location: str | None = None
    note: str | None = None


def event_type_named(text: str) -> CargoEventType:
    """The event type whose value this is, in any case."""
    try:
        return _EVENT_TYPES[text.lower()]
    except KeyError:
        raise InvalidInput(
            N_("Unknown value {value}; expected one of: {choices}"),
            value=text,
            choices=", ".join(member.value for member in CargoEventType),
        ) from None


def checked_location(text: str) -> str:
    return _within(text, LOCATION_LENGTH)


def checked_note(text: str) -> str:
    return _within(text, NOTE_LENGTH)


def _within(text: str, limit: int) -> str:
    if len(text) > limit:
        raise InvalidInput(
            N_("Text too long: {length} characters, at most {max}"), length=len(text), max=limit
        )
    return text


class CargoEventBatch:
    """Events checked and written against shipments and stored events that the caller fetched beforehand.

    The caller fetches, in bulk, the shipments by every reference the events use and all their stored events,
    so a batch of thousands costs a handful of queries; the batch queries nothing before `finish`. Nothing is
    committed here: the caller's transaction holds the whole batch.
    """

    def __init__(
        self,
        session: AsyncSession,
        shipments: Mapping[str, Shipment],
        events: Iterable[CargoEvent],
        *,
        source: str,
        recorded_by_id: int | None,
    ) -> None:
        self.session = session
        self.source = source
        self.recorded_by_id = recorded_by_id
        self._shipments = shipments
        self._events: dict[int, list[CargoEvent]] = defaultdict(list)
        for event in events:
            self._events[event.shipment_id].append(event)
        self._by_key = {_key(e.shipment_id, e): e for stored in self._events.values() for e in stored}
        self._checked: set[EventKey] = set()
        self._touched: set[int] = set()
        self._created: list[CargoEvent] = []

    def events_of(self, shipment_id: int) -> list[CargoEvent]:
        """The shipment's events, stored and written in this batch so far."""
        return list(self._events[shipment_id])

    def check(self, event: ReportedEvent) -> None:
        """Raise EventRefused unless the event may be written; check each event in order, then `write` it."""
        shipment = self._shipments.get(event.reference)
        if shipment is None:
            message = N_("Unknown shipment (no such B/L number or booking reference): {reference}")
            raise EventRefused("reference", message, reference=event.reference)
        if event.container_number and event.container_number not in {c.number for c in shipment.containers}:
            message = N_("Container {container} is not part of shipment {reference}")
            raise EventRefused(
                "container_number", message, container=event.container_number, reference=event.reference
            )
        key = _key(shipment.id, event)
        if key in self._checked:
            # the same event named once by B/L and once by booking reference
            raise EventRefused("reference", N_("The same event appears twice in this file"))
        self._checked.add(key)

    def write(self, event: ReportedEvent) -> tuple[CargoEvent, Written]:
        """Create a checked event, or correct the stored one's location and note (None never clears them)."""
        shipment = self._shipments[event.reference]
        stored = self._by_key.get(_key(shipment.id, event))
        if stored is not None:
            if not _correct(stored, location=event.location, note=event.note):
                return stored, Written.UNCHANGED
            self._touched.add(shipment.id)
            return stored, Written.UPDATED
        created = CargoEvent(
            shipment_id=shipment.id,
            container_number=event.container_number,
            event_type=event.event_type,
            occurred_at=event.occurred_at,
            location=event.location,
            note=event.note,
            source=self.source,
            recorded_by_id=self.recorded_by_id,
        )
        self.session.add(created)
        self._created.append(created)
        self._events[shipment.id].append(created)
        self._touched.add(shipment.id)
        return created, Written.CREATED

    async def finish(self, *, tz: ZoneInfo, default_locale: Locale) -> list[CargoEvent]:
        """Re-derive the state of every shipment that gained or changed an event, and push the new events to
        the subscribers (`default_locale` for those who chose no language); returns the new events."""
        await self.session.flush()  # the new events' ids: the state's tie-break and the pushes' keys
        for shipment in {s.id: s for s in self._shipments.values()}.values():  # by B/L and by booking
            if shipment.id in self._touched:
                apply_state(shipment, self._events[shipment.id])
        # only events new in this batch: reporting the same events again pushes nothing
        await notify_subscribers(self.session, self._created, tz=tz, default_locale=default_locale)
        return list(self._created)


def _key(shipment_id: int, event: CargoEvent | ReportedEvent) -> EventKey:
    return (shipment_id, event.container_number, event.event_type, event.occurred_at)


def _correct(event: CargoEvent, **values: str | None) -> bool:
    changed = False
    for name, value in values.items():
        if value is not None and getattr(event, name) != value:
            setattr(event, name, value)
            changed = True
    return changed


async def record_cargo_event(
    session: AsyncSession,
    reference_or_container: str,
    event_type: CargoEventType | str,
    occurred_at: dt.datetime,
    location: str | None = None,
    note: str | None = None,
    *,
    staff_id: int,
    tz: ZoneInfo,
    default_locale: Locale,
) -> CargoEvent:
    """Record one event reported by operations staff for a shipment named by B/L, booking or container number.

    A container number names the container's most recent active shipment and puts the event on that
    container. Times are kept to the minute, as in import files, so the natural key catches an event recorded
    twice: recording it again with a new location or note corrects it (no second push); recording it
    unchanged raises Conflict. Refused, it writes nothing.
    """
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    actor = Actor(label=f"staff:{staff_id}", source="chat", staff_id=staff_id)
    async with transaction(session):
        reference, container, shipment = await _named_shipment(session, reference_or_container)
        reported = ReportedEvent(
            reference=reference,
            event_type=event_type if isinstance(event_type, CargoEventType) else event_type_named(event_type),
            occurred_at=occurred_at.astimezone(dt.UTC).replace(second=0, microsecond=0),
            container_number=container,
            location=_optional(location, checked_location),
            note=_optional(note, checked_note),
        )
        stored: list[CargoEvent] = []
        if shipment is not None:
            stored = list(
                await session.scalars(select(CargoEvent).where(CargoEvent.shipment_id == shipment.id))
            )
        shipments = {reference: shipment} if shipment is not None else {}
        batch = CargoEventBatch(session, shipments, stored, source=actor.source, recorded_by_id=staff_id)
        batch.check(reported)
        event, written = batch.write(reported)
        if written is Written.UNCHANGED:
            raise Conflict(N_("This event is already recorded."))
        set_actor(session, actor)
        await batch.finish(tz=tz, default_locale=default_locale)
    return event


async def _named_shipment(session: AsyncSession, text: str) -> tuple[str, str, Shipment | None]:
    """(reference, container, shipment): a known container number stands for its shipment, else the text is
    read as a B/L number (first, as in an import file) or booking reference."""
    if looks_like_container(text):
        try:
            container = normalise_container(text)
        except InvalidInput:
            container = None  # perhaps a B/L number of the same shape
        if container is not None:
            shipment = await shipment_for_container(session, container, customer_id=None)
            if shipment is not None:
                return reference_of(shipment), container, shipment
    reference = normalise_reference(text)
    for column in (Shipment.bl_number, Shipment.booking_ref):
        shipment = await session.scalar(select(Shipment).where(column == reference))
        if shipment is not None:
            return reference, "", shipment
    return reference, "", None


def _optional(text: str | None, check: Callable[[str], str]) -> str | None:
    """Blank is not given, as an empty cell in an import file."""
    text = (text or "").strip()
    return check(text) if text else None
