"""One cargo event recorded by operations staff (from the chat), under exactly the rules of an import.

The event goes through the cargo-events importer itself, as a one-row file: the same cell validation, the
same checks against the shipment, the same re-derived shipment state and the same pushes to subscribers.
Times are kept to the minute, as in import files, so the natural key catches an event recorded twice.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.enums import CargoEventType
from portcrm.errors import N_, Conflict, DomainError, InvalidInput
from portcrm.identifiers import looks_like_container, normalise_container
from portcrm.importing.cargo_events import CargoEventImporter, CargoEventRow
from portcrm.importing.cells import Issue, ParseContext, RowInvalid
from portcrm.importing.importer import Outcome
from portcrm.models import CargoEvent
from portcrm.services.tracking.shipments import reference_of, shipment_for_container


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
) -> CargoEvent:
    """Record the event for a shipment named by B/L, booking or container number; returns the event.

    A container number names the container's most recent active shipment and puts the event on that
    container. Recording an event again with a new location or note corrects it (no second push);
    recording it unchanged raises Conflict.
    """
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    actor = Actor(label=f"staff:{staff_id}", source="chat", staff_id=staff_id)
    importer = CargoEventImporter(session, ParseContext(tz=tz), actor)
    try:
        reference, container = await _shipment_reference(session, reference_or_container)
        row = await _checked_row(
            importer,
            {
                "reference": reference,
                "container_number": container,
                "event_type": str(event_type),
                "occurred_at": occurred_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                "location": location or "",
                "note": note or "",
            },
        )
        outcome = importer.apply(row)
        if outcome is Outcome.UNCHANGED:
            raise Conflict(N_("This event is already recorded."))
    except DomainError:
        await session.rollback()
        raise
    for event in importer.created:
        event.source = actor.source
    set_actor(session, actor)
    await session.flush()
    await importer.after_flush()  # the shipment's state, and the pushes to subscribers
    await session.commit()
    return _recorded(importer, row)


async def _shipment_reference(session: AsyncSession, text: str) -> tuple[str, str]:
    """(reference, container) for the importer: a known container number stands for its shipment."""
    if looks_like_container(text):
        try:
            container = normalise_container(text)
        except InvalidInput:
            return text, ""  # perhaps a B/L number of the same shape: the importer will say
        shipment = await shipment_for_container(session, container, customer_id=None)
        if shipment is not None:
            return reference_of(shipment), container
    return text, ""


async def _checked_row(importer: CargoEventImporter, raw: dict[str, str]) -> CargoEventRow:
    try:
        row, _warnings = importer.parse(raw)
    except RowInvalid as invalid:
        raise _error(invalid.issues[0]) from None
    await importer.load([row])
    issues = importer.check(row)
    if issues:
        raise _error(issues[0])
    return row


def _error(issue: Issue) -> InvalidInput:
    return InvalidInput(issue.message, **issue.params)


def _recorded(importer: CargoEventImporter, row: CargoEventRow) -> CargoEvent:
    shipment = importer.refs.find(row.reference)
    assert shipment is not None  # check() passed
    key = (row.container_number, row.event_type, row.occurred_at)
    return next(
        e for e in importer.events[shipment.id] if (e.container_number, e.event_type, e.occurred_at) == key
    )
