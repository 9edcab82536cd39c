"""The finance desk's rules: ageing buckets, the exported ledger, payments, credit changes and legal marks."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CreditRating, Role
from portcrm.errors import Conflict, InvalidInput
from portcrm.models import AuditEntry, CreditLimit, Customer, Invoice, Notification, Payment
from portcrm.services.receivables.ageing import Bucket, ageing, bucket_page, ledger_rows
from portcrm.services.receivables.credit import credit_card, set_limit, set_rating
from portcrm.services.receivables.export import ledger_xlsx
from portcrm.services.receivables.legal import mark_legal
from portcrm.services.receivables.payments import record_payment
from portcrm.settings import Settings
from tests.factories import make_customer, make_invoice, make_staff

TODAY = dt.date(2026, 11, 20)


def _ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


async def _ledger(session: AsyncSession) -> tuple[Customer, Customer]:
    big = await make_customer(session, code="BIG001", name="大额货代")
    small = await make_customer(session, code="SML001", name="小额货代")
    await make_invoice(session, big, number="A-NOTDUE", due_on=TODAY, amount=Decimal("100.00"))
    await make_invoice(session, big, number="A-1", due_on=_ago(1), amount=Decimal("1000.00"))
    await make_invoice(session, big, number="A-30", due_on=_ago(30), amount=Decimal("500.00"))
    await make_invoice(
        session, big, number="A-31", due_on=_ago(31), amount=Decimal("700.00"), paid_amount=Decimal("200.00")
    )
    await make_invoice(
        session, small, number="B-90", due_on=_ago(90), amount=Decimal("50.00"), currency="USD"
    )
    await make_invoice(session, small, number="B-91", due_on=_ago(91), amount=Decimal("80.00"))
    await make_invoice(
        session, small, number="B-PAID", due_on=_ago(200), amount=Decimal("9.00"), paid_amount=Decimal("9.00")
    )
    await session.commit()
    return big, small


async def test_overdue_invoices_fall_into_buckets_by_days_past_due(session: AsyncSession) -> None:
    await _ledger(session)
    report = await ageing(session, TODAY)
    by_bucket = {b.bucket: b for b in report.buckets}
    assert by_bucket[Bucket.D30].count == 2
    assert by_bucket[Bucket.D30].totals == {"CNY": Decimal("1500.00")}
    assert by_bucket[Bucket.D60].totals == {"CNY": Decimal("500.00")}
    assert by_bucket[Bucket.D90].totals == {"USD": Decimal("50.00")}
    assert by_bucket[Bucket.OVER90].totals == {"CNY": Decimal("80.00")}
    assert [d.code for d in report.debtors] == ["BIG001", "SML001"]
    assert report.debtors[1].totals == {"CNY": Decimal("80.00"), "USD": Decimal("50.00")}
    # a day later the 30-day invoice has moved on, and the one due today is overdue
    later = {b.bucket: b for b in (await ageing(session, TODAY + dt.timedelta(days=1))).buckets}
    assert later[Bucket.D30].totals == {"CNY": Decimal("1100.00")}
    assert later[Bucket.D60].totals == {"CNY": Decimal("1000.00")}


async def test_bucket_pages_hold_ten_invoices(session: AsyncSession) -> None:
    customer = await make_customer(session)
    for n in range(12):
        await make_invoice(session, customer, number=f"P-{n:02d}", due_on=_ago(10 + n))
    await session.commit()
    first = await bucket_page(session, TODAY, Bucket.D30, 0)
    second = await bucket_page(session, TODAY, Bucket.D30, 1)
    assert (first.pages, len(first.rows), len(second.rows)) == (2, 10, 2)
    assert first.rows[0].number == "P-11"  # the longest overdue first


async def test_the_exported_totals_equal_the_database(session: AsyncSession) -> None:
    await _ledger(session)
    book = load_workbook(io.BytesIO(ledger_xlsx(await ledger_rows(session, TODAY))))
    ledger, totals = book.worksheets
    assert ledger.max_row == 1 + 6  # header and the open invoices; the paid one is not open
    sheet = {row[0]: row for row in totals.iter_rows(min_row=2, values_only=True)}
    for currency in ("CNY", "USD"):
        expected = await session.scalar(
            select(func.sum(Invoice.amount - Invoice.paid_amount)).where(
                Invoice.currency == currency, Invoice.settled.is_(False), Invoice.amount > Invoice.paid_amount
            )
        )
        assert Decimal(str(sheet[currency][4])).quantize(Decimal("0.01")) == Decimal(expected)
    column = [row[7] for row in ledger.iter_rows(min_row=2, values_only=True)]
    assert Decimal(str(sum(column))) == Decimal("2230")


async def test_a_payment_settles_an_invoice_and_an_overpayment_writes_nothing(session: AsyncSession) -> None:
    staff = await make_staff(session, roles=(Role.FINANCE,))
    customer = await make_customer(session)
    await make_invoice(session, customer, number="PAY-1", amount=Decimal("1000.00"))
    await session.commit()
    staff_id = staff.id  # a refused payment rolls back, which expires loaded objects
    with pytest.raises(InvalidInput):
        await record_payment(
            session, "PAY-1", Decimal("1000.01"), None, "R-OVER", staff_id=staff_id, today=TODAY
        )
    with pytest.raises(InvalidInput):
        await record_payment(
            session, "PAY-1", Decimal("10.00"), "USD", "R-USD", staff_id=staff_id, today=TODAY
        )
    assert await session.scalar(select(func.count()).select_from(Payment)) == 0
    part = await record_payment(
        session, "PAY-1", Decimal("400.00"), None, "R-1", staff_id=staff_id, today=TODAY
    )
    assert (part.outstanding, part.settled) == (Decimal("600.00"), False)
    again = await record_payment(
        session, "PAY-1", Decimal("400.00"), None, "R-1", staff_id=staff_id, today=TODAY
    )
    assert again.outstanding == Decimal("600.00"), "the same reference is not counted twice"
    rest = await record_payment(
        session, "PAY-1", Decimal("600.00"), "CNY", "R-2", staff_id=staff_id, today=TODAY
    )
    assert (rest.outstanding, rest.settled) == (Decimal("0.00"), True)
    payment = await session.scalar(select(Payment).where(Payment.reference == "R-2"))
    assert payment is not None
    assert payment.recorded_by_id == staff_id


async def test_rating_and_limit_changes_are_audited_under_the_staff_member(session: AsyncSession) -> None:
    staff = await make_staff(session, roles=(Role.FINANCE,))
    customer = await make_customer(session, code="CRD001")
    await session.commit()
    await set_rating(session, customer.id, CreditRating.AA, staff_id=staff.id)
    change = await set_limit(
        session, "crd001", Decimal("50000"), None, "annual review", staff_id=staff.id, today=TODAY
    )
    limit = change.limit
    assert limit is not None
    assert (limit.effective_from, limit.set_by_id, limit.currency) == (TODAY, staff.id, "CNY")
    card = await credit_card(session, "CRD001", TODAY)
    assert card.rating is CreditRating.AA
    assert [lim.amount for lim in card.limits] == [Decimal("50000")]
    audited = set(
        await session.execute(
            select(AuditEntry.entity, AuditEntry.field).where(
                AuditEntry.staff_id == staff.id, AuditEntry.customer_id == customer.id
            )
        )
    )
    assert ("customers", "credit_rating") in audited
    assert ("credit_limits", "amount") in audited
    assert await session.scalar(select(func.count()).select_from(CreditLimit)) == 1


async def test_an_invoice_is_marked_for_legal_action_once_and_managers_are_told(
    session: AsyncSession,
) -> None:
    staff = await make_staff(session, roles=(Role.FINANCE,))
    await make_staff(session, telegram_user_id=8801, roles=(Role.MANAGER,))
    customer = await make_customer(session)
    invoice = await make_invoice(session, customer, number="LEGAL-1", due_on=_ago(120))
    await session.commit()
    staff_id, invoice_id = staff.id, invoice.id
    settings = Settings(_env_file=None, bot_token="1:x")
    marked = await mark_legal(session, invoice_id, staff_id=staff_id, today=TODAY, settings=settings)
    assert marked.legal_action_since == TODAY
    with pytest.raises(Conflict):
        await mark_legal(session, invoice_id, staff_id=staff_id, today=TODAY, settings=settings)
    alerts = list(await session.scalars(select(Notification).where(Notification.kind == "legal_action")))
    assert [a.chat_id for a in alerts] == [8801]
    assert "LEGAL-1" in alerts[0].text
