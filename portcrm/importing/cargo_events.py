"""Cargo event rows: what happened to a shipment (or one of its containers), and when, in port time."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from portcrm.enums import CargoEventType
from portcrm.errors import N_
from portcrm.identifiers import normalise_container, normalise_reference
from portcrm.importing.cargo_state import shipment_state
from portcrm.importing.cells import Cells, Issue, ParseContext
from portcrm.importing.importer import Importer, Outcome, assign, max_length
from portcrm.importing.lookup import load_all_by, load_shipments
from portcrm.importing.values import choice_parser, datetime_parser, text_parser
from portcrm.models import CargoEvent
from portcrm.services.tracking.pushes import notify_subscribers

NOTE_LENGTH = 2000
EventKey = tuple[int, str, CargoEventType, dt.datetime]


@dataclass(frozen=True, slots=True)
class CargoEventRow:
    reference: str
    event_type: CargoEventType
    occurred_at: dt.datetime
    container_number: str = ""  # "" is the whole shipment, as in the cargo_events natural key
    location: str | None = None
    note: str | None = None


def parse_cargo_event_row(raw: Mapping[str, str], ctx: ParseContext) -> CargoEventRow:
    cells = Cells(raw)
    row = CargoEventRow(
        reference=cells.required("reference", normalise_reference),
        event_type=cells.required("event_type", choice_parser(CargoEventType)),
        occurred_at=cells.required("occurred_at", datetime_parser(ctx.tz)),
        container_number=cells.optional("container_number", normalise_container) or "",
        location=cells.optional("location", text_parser(max_length(CargoEvent, "location"))),
        note=cells.optional("note", text_parser(NOTE_LENGTH)),
    )
    cells.finish()
    return row


class CargoEventImporter(Importer[CargoEventRow]):
    required = ("reference", "event_type", "occurred_at")
    optional = ("container_number", "location", "note")

    def parse(self, raw: Mapping[str, str]) -> tuple[CargoEventRow, tuple[Issue, ...]]:
        return parse_cargo_event_row(raw, self.ctx), ()

    def keys(self, row: CargoEventRow) -> list[tuple[str, str]]:
        at = row.occurred_at.astimezone(self.ctx.tz).strftime("%Y-%m-%d %H:%M")
        return [("reference", f"{row.reference} {row.container_number} {row.event_type} {at}")]

    async def load(self, rows: Sequence[CargoEventRow]) -> None:
        self.refs = await load_shipments(self.session, (r.reference for r in rows))
        shipments = self.refs.shipments
        events = await load_all_by(self.session, CargoEvent, "shipment_id", (s.id for s in shipments))
        self.events: dict[int, list[CargoEvent]] = defaultdict(list)
        for event in events:
            self.events[event.shipment_id].append(event)
        self.by_key: dict[EventKey, CargoEvent] = {self._key(e.shipment_id, e): e for e in events}
        self.seen: set[EventKey] = set()
        self.touched: set[int] = set()
        self.created: list[CargoEvent] = []

    @staticmethod
    def _key(shipment_id: int, event: CargoEvent | CargoEventRow) -> EventKey:
        return (shipment_id, event.container_number, event.event_type, event.occurred_at)

    def check(self, row: CargoEventRow) -> list[Issue]:
        shipment = self.refs.find(row.reference)
        if shipment is None:
            message = N_("Unknown shipment (no such B/L number or booking reference): {reference}")
            return [Issue("reference", message, {"reference": row.reference})]
        numbers = {container.number for container in shipment.containers}
        if row.container_number and row.container_number not in numbers:
            message = N_("Container {container} is not part of shipment {reference}")
            return [
                Issue(
                    "container_number",
                    message,
                    {"container": row.container_number, "reference": row.reference},
                )
            ]
        key = self._key(shipment.id, row)
        if key in self.seen:
            # the same event named once by B/L and once by booking reference
            return [Issue("reference", N_("The same event appears twice in this file"), {})]
        self.seen.add(key)
        return []

    def apply(self, row: CargoEventRow) -> Outcome:
        shipment = self.refs.find(row.reference)
        assert shipment is not None  # check() passed
        event = self.by_key.get(self._key(shipment.id, row))
        if event is not None:
            if not assign(event, {"location": row.location, "note": row.note}):
                return Outcome.UNCHANGED
            self.touched.add(shipment.id)
            return Outcome.UPDATED
        event = CargoEvent(
            shipment_id=shipment.id,
            container_number=row.container_number,
            event_type=row.event_type,
            occurred_at=row.occurred_at,
            location=row.location,
            note=row.note,
            source="import",
            recorded_by_id=self.actor.staff_id,
        )
        self.session.add(event)
        self.created.append(event)
        self.events[shipment.id].append(event)
        self.touched.add(shipment.id)
        return Outcome.CREATED

    async def after_flush(self) -> None:
        """Re-derive the state of every shipment that gained or changed an event (ids are known now)."""
        for shipment in self.refs.shipments:
            if shipment.id in self.touched:
                assign(shipment, shipment_state(shipment.direction, self.events[shipment.id]))
        # only events new in this import: a re-import creates none, so it pushes nothing
        await notify_subscribers(self.session, self.created, tz=self.ctx.tz)
