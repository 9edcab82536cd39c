"""Re-importing a changed row updates the record by natural key, with audit entries for customer data."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Grade
from portcrm.models import AuditEntry, Contact, Customer, Invoice, Payment, Shipment
from tests.factories import make_customer, make_invoice
from tests.importing.support import Run

CUSTOMERS = """
code,name,type,grade,address
NBF001,宁波远洋国际货运代理有限公司,货代公司,B,浙江省宁波市北仑区明州路188号
ZJC004,浙江华宇家电制造有限公司,货主,C,
"""


async def test_a_changed_customer_is_updated_with_audit_entries(session: AsyncSession, run_rows: Run) -> None:
    await run_rows("customers", CUSTOMERS)

    report = await run_rows(
        "customers", CUSTOMERS.replace(",B,", ",A,").replace("明州路188号", "明州路288号")
    )

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    customer = await session.scalar(select(Customer).where(Customer.code == "NBF001"))
    assert customer is not None
    assert customer.grade is Grade.A
    updates = await session.scalars(
        select(AuditEntry).where(AuditEntry.action == "update").order_by(AuditEntry.field)
    )
    assert [
        (a.entity, a.entity_id, a.field, a.old_value, a.new_value, a.actor, a.source) for a in updates
    ] == [
        (
            "customers",
            customer.id,
            "address",
            "浙江省宁波市北仑区明州路188号",
            "浙江省宁波市北仑区明州路288号",
            "import test",
            "import",
        ),
        ("customers", customer.id, "grade", "B", "A", "import test", "import"),
    ]


async def test_an_empty_cell_leaves_the_stored_value(session: AsyncSession, run_rows: Run) -> None:
    await run_rows("customers", CUSTOMERS)

    report = await run_rows(
        "customers", "code,name,type,grade,address\nNBF001,宁波远洋国际货运代理有限公司,货代,,\n"
    )

    assert report.unchanged == 1
    customer = await session.scalar(select(Customer).where(Customer.code == "NBF001"))
    assert customer is not None
    assert (customer.grade, customer.address) == (Grade.B, "浙江省宁波市北仑区明州路188号")


async def test_a_changed_contact_is_updated_with_an_audit_entry(session: AsyncSession, run_rows: Run) -> None:
    await run_rows("customers", CUSTOMERS)
    await run_rows("contacts", "customer_code,name,phone,is_primary\nNBF001,陈建国,13805741234,是\n")

    report = await run_rows("contacts", "customer_code,name,phone,is_primary\nnbf001,陈建国,13957802261,是\n")

    assert report.updated == 1
    contact = await session.scalar(select(Contact).where(Contact.name == "陈建国"))
    assert contact is not None
    entry = await session.scalar(
        select(AuditEntry).where(AuditEntry.entity == "contacts", AuditEntry.action == "update")
    )
    assert entry is not None
    assert (entry.field, entry.old_value, entry.new_value, entry.customer_id) == (
        "phone",
        "+8613805741234",
        "+8613957802261",
        contact.customer_id,
    )


async def test_a_shipment_booked_first_gets_its_bl_and_more_containers_later(
    session: AsyncSession, run_rows: Run
) -> None:
    await run_rows("customers", CUSTOMERS)
    header = "customer_code,bl_number,booking_ref,direction,cargo_description,containers\n"
    await run_rows("shipments", header + "ZJC004,,HLCUNB2611204,export,小家电,TGHU1234567\n")

    report = await run_rows(
        "shipments", header + "ZJC004,HLCUNB26112049,HLCUNB2611204,export,小家电,TGHU1234567 TGHU6543213\n"
    )

    assert (report.created, report.updated) == (0, 1)
    shipment = await session.scalar(select(Shipment).where(Shipment.booking_ref == "HLCUNB2611204"))
    assert shipment is not None
    assert shipment.bl_number == "HLCUNB26112049"
    assert [c.number for c in shipment.containers] == ["TGHU1234567", "TGHU6543213"]


PAYMENT = "reference,invoice_number,paid_on,amount\nICBC-871,INV-1,2026-10-29,{amount}\n"


async def test_a_payment_imported_again_is_not_counted_twice(session: AsyncSession, run_rows: Run) -> None:
    customer = await make_customer(session)
    invoice = await make_invoice(session, customer, number="INV-1", amount=Decimal("1000.00"))
    await session.commit()

    first = await run_rows("payments", PAYMENT.format(amount="1000"))
    again = await run_rows("payments", PAYMENT.format(amount="1000"))

    assert (first.created, again.unchanged) == (1, 1)
    await session.refresh(invoice)
    assert (invoice.paid_amount, invoice.settled) == (Decimal("1000.00"), True)


async def test_a_corrected_payment_replaces_its_earlier_amount(session: AsyncSession, run_rows: Run) -> None:
    customer = await make_customer(session)
    invoice = await make_invoice(session, customer, number="INV-1", amount=Decimal("1000.00"))
    await session.commit()
    await run_rows("payments", PAYMENT.format(amount="1000"))

    report = await run_rows("payments", PAYMENT.format(amount="400"))

    assert report.updated == 1
    await session.refresh(invoice)
    assert (invoice.paid_amount, invoice.settled) == (Decimal("400.00"), False)
    payment = await session.scalar(select(Payment).where(Payment.reference == "ICBC-871"))
    assert payment is not None
    assert payment.amount == Decimal("400.00")


async def test_an_invoice_cannot_drop_below_what_was_paid(session: AsyncSession, run_rows: Run) -> None:
    customer = await make_customer(session, code="NBF001")
    await make_invoice(
        session, customer, number="INV-1", amount=Decimal("1000.00"), paid_amount=Decimal("600.00")
    )
    await session.commit()
    header = "number,customer_code,issued_on,due_on,amount\n"

    report = await run_rows("invoices", header + "INV-1,NBF001,2026-10-01,2026-10-31,500\n")
    assert [(e.column, e.params["paid"]) for e in report.errors] == [("amount", "600.00")]

    report = await run_rows("invoices", header + "INV-1,NBF001,2026-10-01,2026-10-31,600\n")
    assert report.updated == 1
    invoice = await session.scalar(select(Invoice).where(Invoice.number == "INV-1"))
    assert invoice is not None
    assert (invoice.amount, invoice.settled) == (Decimal("600.00"), True)
