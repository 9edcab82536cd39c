"""The two shipments the example feeds (examples/feeds/) report on, numbered so that the files can name them.

The persona's company has an import whose vessel arrived yesterday morning, its box still on board, and an
export booked three days ago; 李娜 follows the import. `portcrm demo` then plays the example files: the
terminal discharges the box and loads the export's, customs and the carrier release the import, and she is
told it is ready for pick-up. Nothing here draws on the seed's random source: the rest of the port is
unchanged.

The example files are dated for `EXAMPLES_DAY` (their events fall on the two days before it); the demo moves
them by whole days to its own today. The voyages (247E, 288W) are ones the random shipments never get (their
running numbers stop at 199), so a vessel's arrival in the files names these shipments only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from portcrm.demo.context import PlannedShipment, SeedContext
from portcrm.demo.maritime import HOME_PORT
from portcrm.demo.personas import persona
from portcrm.enums import CargoEventType as E
from portcrm.enums import ShipmentDirection
from portcrm.models import CargoEvent, Container, Shipment, ShipmentSubscription

EXAMPLES_DAY = dt.date(2026, 12, 7)

IMPORT_BL = "COSU6418203577"
IMPORT_BOX = "CSNU6184203"
IMPORT_VESSEL, IMPORT_IMO, IMPORT_VOYAGE = "COSCO SHIPPING TAURUS", "9870666", "247E"

EXPORT_BL = "OOLU2719364058"
EXPORT_BOOKING = "6204418375"
EXPORT_BOX = "OOLU9182731"
EXPORT_VESSEL, EXPORT_IMO, EXPORT_VOYAGE = "OOCL GERMANY", "9571959", "288W"

TERMINAL = "Ningbo Beilun Terminal"


def build_feed_shipments(ctx: SeedContext) -> list[PlannedShipment]:
    company = ctx.persona_company("customer")
    yesterday = ctx.today - dt.timedelta(days=1)
    arrived = ctx.at(yesterday, 6, 10)
    imported = Shipment(
        customer_id=company.customer.id,
        bl_number=IMPORT_BL,
        direction=ShipmentDirection.IMPORT,
        cargo_description="WOOD PULP, 480 BALES",
        weight_kg=Decimal(24_600),
        vessel_name=IMPORT_VESSEL,
        voyage=IMPORT_VOYAGE,
        vessel_imo=IMPORT_IMO,
        port_of_loading="Rotterdam",
        port_of_discharge=HOME_PORT.name,
        etd=arrived - dt.timedelta(days=32, hours=5),
        eta=ctx.at(yesterday, 4, 0),
        ata=arrived,
        status=E.VESSEL_ARRIVED,
        location=TERMINAL,
        containers=[Container(number=IMPORT_BOX, size_type="45G1", seal_number="CN6184203")],
        created_at=arrived,
    )
    booked = ctx.at(ctx.today - dt.timedelta(days=3), 10, 0)
    exported = Shipment(
        customer_id=company.customer.id,
        bl_number=EXPORT_BL,
        booking_ref=EXPORT_BOOKING,
        direction=ShipmentDirection.EXPORT,
        cargo_description="CHRISTMAS DECORATIONS, 1,150 PACKAGES",
        weight_kg=Decimal(9_800),
        vessel_name=EXPORT_VESSEL,
        voyage=EXPORT_VOYAGE,
        vessel_imo=EXPORT_IMO,
        port_of_loading=HOME_PORT.name,
        port_of_discharge="Hamburg",
        etd=ctx.at(ctx.today, 22, 0),
        eta=ctx.at(ctx.today + dt.timedelta(days=34), 8, 0),
        status=E.BOOKING_CONFIRMED,
        location=HOME_PORT.name,
        containers=[Container(number=EXPORT_BOX, size_type="45G1", seal_number="OOL9182731")],
        created_at=booked,
    )
    return [
        PlannedShipment(imported, company, [_event(E.VESSEL_ARRIVED, arrived, TERMINAL)]),
        PlannedShipment(exported, company, [_event(E.BOOKING_CONFIRMED, booked, HOME_PORT.name)]),
    ]


def feed_subscriptions(planned: list[PlannedShipment]) -> list[ShipmentSubscription]:
    """李娜 follows the import and the export, as she follows every active shipment of her company
    (cargo.subscriptions), so the feeds' news about them reach her chat."""
    telegram_user_id = persona("customer").telegram_user_id
    return [
        ShipmentSubscription(contact_id=contact.id, shipment_id=p.shipment.id)
        for p in planned
        for contact in p.company.contacts
        if contact.telegram_user_id == telegram_user_id and not p.shipment.completed
    ]


def _event(kind: E, at: dt.datetime, location: str) -> CargoEvent:
    return CargoEvent(container_number="", event_type=kind, occurred_at=at, location=location)
