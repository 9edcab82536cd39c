"""The example files import cleanly in sequence, and importing them again changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CargoEventType, CustomerType
from portcrm.models import AuditEntry, Contact, Customer, Invoice, Shipment
from tests.importing.support import EXAMPLES, SEQUENCE, Run, table_counts


async def test_the_examples_import_in_sequence(session: AsyncSession, import_examples) -> None:
    reports = await import_examples()

    for report in reports:
        assert report.ok, (report.kind, report.errors)
        assert report.created == report.rows > 0
    assert [r.warnings for r in reports] == [[]] * len(SEQUENCE)
    counts = await table_counts(session)
    assert (counts["customers"], counts["contacts"], counts["shipments"]) == (6, 8, 5)
    assert (counts["containers"], counts["cargo_events"], counts["invoices"], counts["payments"]) == (
        8,
        21,
        5,
        5,
    )


async def test_the_examples_store_normalised_values(session: AsyncSession, import_examples) -> None:
    await import_examples()

    forwarder = await session.scalar(select(Customer).where(Customer.code == "NBF001"))
    assert forwarder is not None
    assert forwarder.type is CustomerType.FORWARDER
    assert forwarder.registered_capital == Decimal("20000000.00")
    assert forwarder.founded_on == dt.date(2009, 3, 18)
    landline = await session.scalar(select(Contact).where(Contact.name == "周敏"))
    assert landline is not None
    assert (landline.phone, landline.is_billing, landline.is_primary) == ("+8657487651234", True, False)
    shipment = await session.scalar(select(Shipment).where(Shipment.bl_number == "COSU6389012450"))
    assert shipment is not None
    # 18:00 in Ningbo is 10:00 UTC
    assert shipment.etd == dt.datetime(2026, 11, 5, 10, 0, tzinfo=dt.UTC)
    assert [(c.number, c.size_type) for c in shipment.containers] == [
        ("CSNU1234560", "40HC"),
        ("CSNU6543216", "40HC"),
    ]


async def test_the_examples_derive_shipment_state_and_settle_invoices(
    session: AsyncSession, import_examples
) -> None:
    await import_examples()

    released = await session.scalar(select(Shipment).where(Shipment.bl_number == "OOLU2741538960"))
    assert released is not None
    assert released.status is CargoEventType.AVAILABLE_FOR_PICKUP
    assert (released.customs_hold, released.completed) == (False, False)
    assert released.ata == dt.datetime(2026, 11, 3, 5, 10, tzinfo=dt.UTC)
    delivered = await session.scalar(select(Shipment).where(Shipment.bl_number == "COSU6389012777"))
    assert delivered is not None
    assert (delivered.status, delivered.completed, delivered.payment_hold) == (
        CargoEventType.GATE_OUT,
        True,
        False,
    )
    invoices = {i.number: i for i in await session.scalars(select(Invoice))}
    assert (invoices["NBP-2026-10002"].paid_amount, invoices["NBP-2026-10002"].settled) == (
        Decimal("7420.50"),
        True,
    )
    assert (invoices["NBP-2026-10003"].paid_amount, invoices["NBP-2026-10003"].settled) == (
        Decimal("60000"),
        False,
    )
    assert invoices["NBP-2026-10004"].currency == "CNY"


async def test_importing_the_examples_twice_changes_nothing(session: AsyncSession, import_examples) -> None:
    await import_examples()
    before = await table_counts(session)
    snapshot = {i.number: (i.paid_amount, i.settled) for i in await session.scalars(select(Invoice))}

    reports = await import_examples()

    for report in reports:
        assert report.ok
        assert (report.created, report.updated, report.unchanged) == (0, 0, report.rows)
    assert await table_counts(session) == before
    assert {i.number: (i.paid_amount, i.settled) for i in await session.scalars(select(Invoice))} == snapshot


async def test_the_bad_example_reports_each_problem_and_writes_nothing(
    session: AsyncSession, run_file: Run
) -> None:
    before = await table_counts(session)

    report = await run_file("customers", EXAMPLES / "bad" / "customers.csv")

    assert not report.ok
    assert await table_counts(session) == before
    assert {(e.row, e.column) for e in report.errors} == {
        (3, "uscc"),
        (4, "type"),
        (4, "grade"),
        (5, "founded_on"),
        (5, "registered_capital"),
        (5, "annual_volume_teu"),
        (6, "name"),
        (6, "currency"),
        (7, "code"),
    }
    assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 0
