"""Whole-file validation: references, duplicates, money, columns; one bad row means nothing is written."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.importing import ImportReport
from tests.factories import container_number, make_customer, make_invoice, make_shipment
from tests.importing.support import Run, table_counts


def where(report: ImportReport) -> list[tuple[int, str | None, str]]:
    return [(e.row, e.column, e.message) for e in report.errors]


async def test_one_bad_row_among_good_ones_writes_nothing(session: AsyncSession, run_rows: Run) -> None:
    await make_customer(session, code="NBF001")
    await session.commit()
    before = await table_counts(session)

    report = await run_rows(
        "contacts",
        """
customer_code,name,phone,email
NBF001,陈建国,13805741234,chen@example.cn
NBF001,周敏,0574-87651234,zhou@example.cn
NBF001,王丽华,12345,wang@example.cn
NBF001,Kevin Zhang,021-68752233,kevin@example.cn
""",
    )

    assert not report.ok
    assert where(report) == [(4, "phone", "Invalid phone number: {value}")]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert await table_counts(session) == before


async def test_errors_are_collected_from_every_row_in_row_order(session: AsyncSession, run_rows: Run) -> None:
    report = await run_rows(
        "customers",
        """
code,name,type,uscc,grade
C1,甲,货主,91330200MA2H8K3L0X,A
C2,乙,forwarder,,E
C3,丙,货代,,B
""",
    )

    assert [(row, column) for row, column, _ in where(report)] == [(2, "uscc"), (3, "grade")]
    assert report.errors[0].render() == "Invalid unified social credit code: 91330200MA2H8K3L0X"


async def test_unknown_customer_codes_are_errors(session: AsyncSession, run_rows: Run) -> None:
    report = await run_rows("contacts", "customer_code,name\nNOPE,陈建国\n")
    assert where(report) == [(2, "customer_code", "Unknown customer code: {code}")]
    assert report.errors[0].params == {"code": "NOPE"}

    report = await run_rows(
        "shipments", "customer_code,bl_number,direction,cargo_description\nNOPE,BL0001,export,x\n"
    )
    assert where(report) == [(2, "customer_code", "Unknown customer code: {code}")]


async def test_a_duplicate_key_within_the_file_is_an_error(session: AsyncSession, run_rows: Run) -> None:
    report = await run_rows(
        "customers",
        """
code,name,type
NBF001,宁波远洋,货代
NBF002,上海港联,货代
nbf001,宁波远洋（重复）,货代
""",
    )

    assert where(report) == [(4, "code", "Duplicate {column} {value}: already in row {first}")]
    assert report.errors[0].params == {"column": "code", "value": "NBF001", "first": 2}


async def test_a_uscc_of_another_customer_is_an_error(session: AsyncSession, run_rows: Run) -> None:
    await make_customer(session, code="OLD", uscc="91330200MA2H8K3L0N")
    await session.commit()

    report = await run_rows("customers", "code,name,type,uscc\nNEW,新公司,货主,91330200MA2H8K3L0N\n")

    assert where(report) == [
        (2, "uscc", "Unified social credit code {uscc} already belongs to customer {code}")
    ]


async def test_a_cargo_event_needs_a_known_shipment_and_one_of_its_containers(
    session: AsyncSession, run_rows: Run
) -> None:
    customer = await make_customer(session)
    await make_shipment(session, customer, bl_number="COSU6389012450")
    await session.commit()
    stranger = container_number()

    report = await run_rows(
        "cargo-events",
        f"""
reference,container_number,event_type,occurred_at
COSU6389012450,{stranger},gate_in,2026-11-02 14:20
COSU0000000000,,gate_in,2026-11-02 14:20
""",
    )

    assert [(row, column) for row, column, _ in where(report)] == [(2, "container_number"), (3, "reference")]


async def test_an_invoice_needs_its_customer_and_the_customers_shipment(
    session: AsyncSession, run_rows: Run
) -> None:
    owner = await make_customer(session, code="OWNER")
    await make_customer(session, code="OTHER")
    await make_shipment(session, owner, bl_number="COSU6389012450")
    await session.commit()

    report = await run_rows(
        "invoices",
        """
number,customer_code,shipment_ref,issued_on,due_on,amount
INV-1,OTHER,COSU6389012450,2026-11-06,2026-12-06,100
INV-2,OWNER,NOSUCHBL,2026-11-06,2026-12-06,100
INV-3,NOBODY,,2026-11-06,2026-12-06,100
""",
    )

    assert where(report) == [
        (2, "shipment_ref", "Shipment {reference} belongs to another customer"),
        (3, "shipment_ref", "Unknown shipment (no such B/L number or booking reference): {reference}"),
        (4, "customer_code", "Unknown customer code: {code}"),
    ]


async def test_payments_may_not_exceed_the_invoice(session: AsyncSession, run_rows: Run) -> None:
    customer = await make_customer(session)
    await make_invoice(
        session, customer, number="INV-1", amount=Decimal("1000.00"), paid_amount=Decimal("300.00")
    )
    await session.commit()

    report = await run_rows(
        "payments",
        """
reference,invoice_number,paid_on,amount
P1,INV-1,2026-11-01,600
P2,INV-1,2026-11-02,100.01
P3,INV-9,2026-11-02,1
""",
    )

    assert where(report) == [
        (
            3,
            "amount",
            "Payment {reference} would overpay invoice {number}: {paid} paid of {amount} {currency}",
        ),
        (4, "invoice_number", "Unknown invoice number: {number}"),
    ]
    assert report.errors[0].render() == "Payment P2 would overpay invoice INV-1: 1000.01 paid of 1000.00 CNY"


async def test_a_payment_must_be_in_the_invoice_currency(session: AsyncSession, run_rows: Run) -> None:
    customer = await make_customer(session)
    await make_invoice(session, customer, number="INV-USD", currency="USD")
    await session.commit()

    report = await run_rows("payments", "reference,invoice_number,paid_on,amount\nP1,INV-USD,2026-11-01,10\n")

    assert where(report) == [
        (2, "currency", "Payment in {currency} does not match invoice {number} in {invoice_currency}")
    ]
    assert report.errors[0].params["currency"] == "CNY"
    report = await run_rows(
        "payments",
        "reference,invoice_number,paid_on,amount\nP1,INV-USD,2026-11-01,10\n",
        default_currency="USD",
    )
    assert report.ok


async def test_unknown_columns_are_errors_on_the_header_row(session: AsyncSession, run_rows: Run) -> None:
    report = await run_rows("customers", "code,name,type,fax\nC1,甲,货主,0574-1\n")

    assert where(report) == [(1, "fax", "Unknown column: {column}")]


async def test_a_missing_required_column_is_a_file_level_error(session: AsyncSession, run_rows: Run) -> None:
    report = await run_rows("customers", "code,name\nC1,甲\n")

    assert where(report) == [(1, "type", "Required column missing: {column}")]
    assert report.rows == 1
