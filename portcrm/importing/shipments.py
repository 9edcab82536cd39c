"""Shipment rows: one per B/L (or booking, before the B/L exists), with the containers it moves."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from portcrm.enums import ShipmentDirection
from portcrm.errors import N_, DomainError
from portcrm.identifiers import normalise_container, normalise_imo, normalise_reference
from portcrm.importing.cells import Cells, Issue, ParseContext
from portcrm.importing.customers import parse_customer_code
from portcrm.importing.importer import Importer, Outcome, assign, max_length, row_values
from portcrm.importing.lookup import load_by, load_shipments
from portcrm.importing.values import choice_parser, datetime_parser, parse_quantity, text_parser
from portcrm.models import Container, Customer, Shipment
from portcrm.services.tracking.feed_events import match_waiting_events

# lists in one cell: spaces, commas, semicolons, also the full-width ones a Chinese keyboard types
_LIST_SEPARATORS = re.compile(r"[\s,;，；、]+")
_SIZE_TYPE = re.compile(r"[0-9A-Z]{2,8}")
_TEXT_COLUMNS = ("vessel_name", "voyage", "port_of_loading", "port_of_discharge")
MULTILINE = ("cargo_description", "containers", "container_types")  # free text; lists, one item a line


@dataclass(frozen=True, slots=True)
class ShipmentRow:
    customer_code: str
    direction: ShipmentDirection
    cargo_description: str
    bl_number: str | None = None
    booking_ref: str | None = None
    weight_kg: Decimal | None = None
    vessel_name: str | None = None
    voyage: str | None = None
    vessel_imo: str | None = None
    port_of_loading: str | None = None
    port_of_discharge: str | None = None
    etd: dt.datetime | None = None
    eta: dt.datetime | None = None
    containers: tuple[tuple[str, str | None], ...] = ()
    warnings: tuple[Issue, ...] = ()

    @property
    def reference(self) -> str:
        return self.bl_number or self.booking_ref or ""


def split_list(text: str) -> list[str]:
    return [part for part in _LIST_SEPARATORS.split(text) if part]


def _containers(cells: Cells) -> tuple[tuple[str, str | None], ...]:
    """Container numbers with their size/type: one type for all, or one per container in the same order."""
    numbers: list[str] = []
    for raw in split_list(cells.text("containers")):
        try:
            number = normalise_container(raw)
        except DomainError as exc:
            cells.fail("containers", exc.message, **exc.params)
            continue
        if number in numbers:
            cells.fail("containers", N_("Container {value} is listed twice"), value=number)
        numbers.append(number)
    types = [t.upper() for t in split_list(cells.text("container_types"))]
    for size_type in types:
        if not _SIZE_TYPE.fullmatch(size_type):
            cells.fail("container_types", N_("Invalid container type: {value}"), value=size_type)
    if types and len(types) not in (1, len(numbers)):
        message = N_("Give one container type for all containers or one for each of the {count} containers")
        cells.fail("container_types", message, count=len(numbers))
        return ()
    if len(types) == 1:
        types *= len(numbers)
    return tuple(zip(numbers, types or [None] * len(numbers), strict=True))


def parse_shipment_row(raw: Mapping[str, str], ctx: ParseContext) -> ShipmentRow:
    cells = Cells(raw, multiline=MULTILINE)
    imo = cells.optional("vessel_imo", normalise_imo)
    if imo is not None and not imo[1]:
        cells.warn("vessel_imo", N_("IMO number {value} fails its check digit; kept as given"), value=imo[0])
    bl_number = cells.optional("bl_number", normalise_reference)
    booking_ref = cells.optional("booking_ref", normalise_reference)
    if not cells.given("bl_number") and not cells.given("booking_ref"):
        cells.fail("bl_number", N_("Give a bl_number or a booking_ref (or both)"))
    at = datetime_parser(ctx.tz)
    row = ShipmentRow(
        customer_code=cells.required("customer_code", parse_customer_code),
        direction=cells.required("direction", choice_parser(ShipmentDirection)),
        cargo_description=cells.required(
            "cargo_description", text_parser(max_length(Shipment, "cargo_description"))
        ),
        bl_number=bl_number,
        booking_ref=booking_ref,
        weight_kg=cells.optional("weight_kg", parse_quantity),
        vessel_imo=imo[0] if imo else None,
        etd=cells.optional("etd", at),
        eta=cells.optional("eta", at),
        containers=_containers(cells),
        **{name: cells.optional(name, text_parser(max_length(Shipment, name))) for name in _TEXT_COLUMNS},
    )
    return replace(row, warnings=cells.finish())


class ShipmentImporter(Importer[ShipmentRow]):
    required = ("customer_code", "direction", "cargo_description")
    optional = (
        "bl_number",
        "booking_ref",
        "weight_kg",
        "vessel_name",
        "voyage",
        "vessel_imo",
        "port_of_loading",
        "port_of_discharge",
        "etd",
        "eta",
        "containers",
        "container_types",
    )

    def parse(self, raw: Mapping[str, str]) -> tuple[ShipmentRow, tuple[Issue, ...]]:
        row = parse_shipment_row(raw, self.ctx)
        return row, row.warnings

    def keys(self, row: ShipmentRow) -> list[tuple[str, str]]:
        keys = [("bl_number", row.bl_number)] if row.bl_number else []
        return keys + ([("booking_ref", row.booking_ref)] if row.booking_ref else [])

    async def load(self, rows: Sequence[ShipmentRow]) -> None:
        self.written: list[Shipment] = []
        self.customers = await load_by(self.session, Customer, "code", (r.customer_code for r in rows))
        refs = await load_shipments(self.session, (ref for r in rows for ref in (r.bl_number, r.booking_ref)))
        self.by_bl, self.by_booking = refs.by_bl, refs.by_booking

    def check(self, row: ShipmentRow) -> list[Issue]:
        issues = []
        if row.customer_code not in self.customers:
            issues.append(
                Issue("customer_code", N_("Unknown customer code: {code}"), {"code": row.customer_code})
            )
        by_bl, by_booking = self.by_bl.get(row.bl_number), self.by_booking.get(row.booking_ref)
        if by_bl is not None and by_booking is not None and by_bl is not by_booking:
            message = N_("Booking reference {booking_ref} belongs to another shipment ({other})")
            other = by_booking.bl_number or by_booking.booking_ref
            issues.append(Issue("booking_ref", message, {"booking_ref": row.booking_ref, "other": other}))
        elif by_bl is None and by_booking is not None and by_booking.bl_number not in (None, row.bl_number):
            message = N_("Booking reference {booking_ref} already has B/L {existing}")
            params = {"booking_ref": row.booking_ref, "existing": by_booking.bl_number}
            issues.append(Issue("bl_number", message, params))
        return issues

    def apply(self, row: ShipmentRow) -> Outcome:
        values = row_values(row, "customer_code", "containers", "warnings")
        values["customer_id"] = self.customers[row.customer_code].id
        shipment = self.by_bl.get(row.bl_number) or self.by_booking.get(row.booking_ref)
        if shipment is None:
            containers = [Container(number=number, size_type=kind) for number, kind in row.containers]
            fields = {k: v for k, v in values.items() if v is not None}
            shipment = Shipment(**fields, containers=containers)
            self.session.add(shipment)
            self.written.append(shipment)
            return Outcome.CREATED
        changed = assign(shipment, values)
        have = {container.number: container for container in shipment.containers}
        # containers are added, never removed: cargo events may already name them
        for number, kind in row.containers:
            if number not in have:
                shipment.containers.append(Container(number=number, size_type=kind))
                changed = True
            elif assign(have[number], {"size_type": kind}):
                changed = True
        if changed:
            self.written.append(shipment)
        return Outcome.UPDATED if changed else Outcome.UNCHANGED

    async def after_flush(self) -> None:
        """Feed events that came before their shipment (a box discharged before the manifest was
        imported) are recorded now, in the import's transaction."""
        await match_waiting_events(
            self.session, self.written, tz=self.ctx.tz, default_locale=self.default_locale
        )
