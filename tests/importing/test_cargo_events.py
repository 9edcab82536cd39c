"""Cargo events keep the shipment's status current, whatever order they arrive in."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CargoEventType, ShipmentDirection
from portcrm.i18n import gettext_for
from portcrm.labels import CARGO_EVENT_NAMES
from portcrm.models import Container, Customer, Notification, Shipment, ShipmentSubscription
from portcrm.services.tracking.pushes import open_shipment_data
from tests.factories import make_contact, make_customer, make_shipment
from tests.importing.support import Run

HEADER = "reference,container_number,event_type,occurred_at,location\n"


@pytest.fixture
async def shipment(session: AsyncSession) -> Shipment:
    customer = await make_customer(session)
    shipment = await make_shipment(
        session,
        customer,
        bl_number="OOLU2741538960",
        booking_ref="BKG2611009",
        direction=ShipmentDirection.IMPORT,
        containers=[Container(number="OOLU1234567")],
    )
    await session.commit()
    return shipment


async def test_an_older_event_imported_later_does_not_overwrite_a_newer_status(
    session: AsyncSession, shipment: Shipment, run_rows: Run
) -> None:
    await run_rows(
        "cargo-events", HEADER + "OOLU2741538960,OOLU1234567,discharged,2026-11-03 21:35,大榭码头\n"
    )

    report = await run_rows(
        "cargo-events", HEADER + "OOLU2741538960,,vessel_arrived,2026-11-03 13:10,宁波舟山港\n"
    )

    assert report.created == 1
    await session.refresh(shipment)
    assert (shipment.status, shipment.location) == (CargoEventType.DISCHARGED, "大榭码头")
    assert shipment.ata == dt.datetime(2026, 11, 3, 5, 10, tzinfo=dt.UTC)


async def test_a_hold_is_lifted_only_by_a_later_release(
    session: AsyncSession, shipment: Shipment, run_rows: Run
) -> None:
    await run_rows("cargo-events", HEADER + "OOLU2741538960,,customs_hold,2026-11-04 09:00,查验场\n")
    await session.refresh(shipment)
    assert (shipment.customs_hold, shipment.status) == (True, CargoEventType.CUSTOMS_HOLD)

    await run_rows("cargo-events", HEADER + "OOLU2741538960,,customs_released,2026-11-04 08:00,\n")
    await session.refresh(shipment)
    assert shipment.customs_hold is True

    await run_rows("cargo-events", HEADER + "BKG2611009,,customs_released,2026-11-05 15:30,\n")
    await session.refresh(shipment)
    assert (shipment.customs_hold, shipment.status, shipment.location) == (
        False,
        CargoEventType.CUSTOMS_RELEASED,
        "查验场",
    )


async def test_gate_out_completes_an_import_but_not_an_export(session: AsyncSession, run_rows: Run) -> None:
    customer = await make_customer(session)
    export = await make_shipment(
        session, customer, bl_number="COSU6389012450", direction=ShipmentDirection.EXPORT
    )
    inbound = await make_shipment(
        session, customer, bl_number="COSU6389012777", direction=ShipmentDirection.IMPORT
    )
    await session.commit()

    await run_rows(
        "cargo-events",
        HEADER + "COSU6389012450,,gate_out,2026-10-30 08:15,\nCOSU6389012777,,gate_out,2026-10-30 08:52,\n",
    )

    await session.refresh(export)
    await session.refresh(inbound)
    assert (export.completed, inbound.completed) == (False, True)


async def test_a_changed_location_updates_the_event_and_the_shipment(
    session: AsyncSession, shipment: Shipment, run_rows: Run
) -> None:
    row = "OOLU2741538960,OOLU1234567,discharged,2026-11-03 21:35,{location}\n"
    await run_rows("cargo-events", HEADER + row.format(location="大榭码头"))

    again = await run_rows("cargo-events", HEADER + row.format(location="大榭码头"))
    moved = await run_rows("cargo-events", HEADER + row.format(location="大榭招商国际码头"))

    assert (again.unchanged, moved.updated) == (1, 1)
    await session.refresh(shipment)
    assert shipment.location == "大榭招商国际码头"


async def test_one_event_named_by_both_bl_and_booking_is_a_duplicate(
    session: AsyncSession, shipment: Shipment, run_rows: Run
) -> None:
    report = await run_rows(
        "cargo-events",
        HEADER
        + "OOLU2741538960,,vessel_arrived,2026-11-03 13:10,\nBKG2611009,,vessel_arrived,2026-11-03 13:10,\n",
    )

    assert [(e.row, e.column) for e in report.errors] == [(3, "reference")]


async def test_an_imported_event_is_pushed_in_the_configured_language_to_a_subscriber_who_chose_none(
    session: AsyncSession, shipment: Shipment, run_rows: Run
) -> None:
    customer = await session.get(Customer, shipment.customer_id)
    assert customer is not None
    # no language in the archive, and no chat user: Telegram's language is unknown too
    contact = await make_contact(session, customer, telegram_user_id=7501)
    session.add(ShipmentSubscription(contact_id=contact.id, shipment_id=shipment.id))
    await session.commit()

    report = await run_rows(
        "cargo-events",
        HEADER + "OOLU2741538960,,discharged,2026-11-03 21:35,大榭码头\n",
        default_locale="en",
    )

    assert report.created == 1
    pushes = list(await session.scalars(select(Notification)))
    assert [(push.chat_id, push.contact_id) for push in pushes] == [(7501, contact.id)]
    _ = gettext_for("en")
    assert _(CARGO_EVENT_NAMES[CargoEventType.DISCHARGED]) in pushes[0].text
    assert pushes[0].text.startswith(
        "🔔 " + _("<b>Cargo update</b> · {reference}").format(reference="OOLU2741538960")
    )
    assert pushes[0].reply_markup == {
        "inline_keyboard": [[{"text": _("Open"), "callback_data": open_shipment_data(shipment.id)}]]
    }
