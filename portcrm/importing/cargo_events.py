"""Cargo event rows: what happened to a shipment (or one of its containers), and when, in port time.

The importer reads the rows and fetches what they name in bulk; what may be recorded, the shipment's derived
state and the pushes to subscribers are the tracking service's rules (`portcrm.services.tracking.events`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from portcrm.enums import CargoEventType
from portcrm.identifiers import normalise_container, normalise_reference
from portcrm.importing.cells import Cells, Issue, ParseContext
from portcrm.importing.importer import Importer, Outcome
from portcrm.importing.lookup import load_all_by, load_shipments
from portcrm.importing.values import choice_parser, datetime_parser
from portcrm.models import CargoEvent
from portcrm.services.tracking.events import (
    CargoEventBatch,
    EventRefused,
    ReportedEvent,
    checked_location,
    checked_note,
)


def parse_cargo_event_row(raw: Mapping[str, str], ctx: ParseContext) -> ReportedEvent:
    cells = Cells(raw, multiline=("note",))
    row = ReportedEvent(
        reference=cells.required("reference", normalise_reference),
        event_type=cells.required("event_type", choice_parser(CargoEventType)),
        occurred_at=cells.required("occurred_at", datetime_parser(ctx.tz)),
        container_number=cells.optional("container_number", normalise_container) or "",
        location=cells.optional("location", checked_location),
        note=cells.optional("note", checked_note),
    )
    cells.finish()
    return row


class CargoEventImporter(Importer[ReportedEvent]):
    required = ("reference", "event_type", "occurred_at")
    optional = ("container_number", "location", "note")

    def parse(self, raw: Mapping[str, str]) -> tuple[ReportedEvent, tuple[Issue, ...]]:
        return parse_cargo_event_row(raw, self.ctx), ()

    def keys(self, row: ReportedEvent) -> list[tuple[str, str]]:
        at = row.occurred_at.astimezone(self.ctx.tz).strftime("%Y-%m-%d %H:%M")
        return [("reference", f"{row.reference} {row.container_number} {row.event_type} {at}")]

    async def load(self, rows: Sequence[ReportedEvent]) -> None:
        refs = await load_shipments(self.session, (r.reference for r in rows))
        events = await load_all_by(self.session, CargoEvent, "shipment_id", (s.id for s in refs.shipments))
        self.batch = CargoEventBatch(
            self.session, refs.by_reference, events, source="import", recorded_by_id=self.actor.staff_id
        )

    def check(self, row: ReportedEvent) -> list[Issue]:
        try:
            self.batch.check(row)
        except EventRefused as refused:  # its field is the column of the same name
            return [Issue(refused.field, refused.message, refused.params)]
        return []

    def apply(self, row: ReportedEvent) -> Outcome:
        _event, written = self.batch.write(row)
        return Outcome(written.value)

    async def after_flush(self) -> None:
        await self.batch.finish(tz=self.ctx.tz, default_locale=self.default_locale)
