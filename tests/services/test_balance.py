"""The balance: open invoices oldest due first, overdue days, totals per currency, credit in force."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import NotFound
from portcrm.models import CreditLimit, Customer
from portcrm.services.receivables.balance import CurrencyTotal, customer_balance
from tests.factories import make_customer, make_invoice

TODAY = dt.date(2026, 11, 20)


def _limit(customer: Customer, amount: str, currency: str, since: dt.date) -> CreditLimit:
    return CreditLimit(
        customer_id=customer.id, amount=Decimal(amount), currency=currency, effective_from=since
    )


async def test_open_invoices_overdue_days_totals_and_available_credit(session: AsyncSession) -> None:
    customer = await make_customer(session, name="宁波余额货代有限公司")
    other = await make_customer(session)
    await make_invoice(
        session,
        customer,
        number="CNY-OLD",
        due_on=TODAY - dt.timedelta(days=12),
        amount=Decimal("10000.00"),
        paid_amount=Decimal("2500.50"),
    )
    await make_invoice(
        session,
        customer,
        number="USD-DUE",
        due_on=TODAY - dt.timedelta(days=1),
        amount=Decimal("3000.00"),
        currency="USD",
    )
    await make_invoice(session, customer, number="CNY-NEW", due_on=TODAY, amount=Decimal("5000.00"))
    await make_invoice(
        session,
        customer,
        number="PAID",
        due_on=TODAY - dt.timedelta(days=40),
        amount=Decimal("800.00"),
        paid_amount=Decimal("800.00"),
        settled=True,
    )
    await make_invoice(session, other, number="NOT-MINE", due_on=TODAY - dt.timedelta(days=5))
    session.add_all(
        [
            _limit(customer, "50000.00", "CNY", dt.date(2026, 1, 1)),
            _limit(customer, "80000.00", "CNY", dt.date(2026, 6, 1)),  # the one in force
            _limit(customer, "99999.00", "CNY", TODAY + dt.timedelta(days=1)),  # not yet
            _limit(other, "1.00", "CNY", dt.date(2026, 1, 1)),
        ]
    )
    await session.commit()

    balance = await customer_balance(session, customer.id, TODAY)

    assert balance.customer_name == "宁波余额货代有限公司"
    assert [(i.number, i.outstanding, i.currency, i.days_overdue) for i in balance.invoices] == [
        ("CNY-OLD", Decimal("7499.50"), "CNY", 12),
        ("USD-DUE", Decimal("3000.00"), "USD", 1),
        ("CNY-NEW", Decimal("5000.00"), "CNY", 0),
    ]
    assert balance.more == 0
    assert balance.totals == [
        CurrencyTotal("CNY", Decimal("12499.50"), Decimal("7499.50")),
        CurrencyTotal("USD", Decimal("3000.00"), Decimal("3000.00")),
    ]
    assert balance.credit is not None
    assert (balance.credit.limit, balance.credit.currency) == (Decimal("80000.00"), "CNY")
    assert balance.credit.available == Decimal("67500.50"), "USD is not converted into the CNY limit"


async def test_only_the_oldest_are_listed_but_every_invoice_is_counted(session: AsyncSession) -> None:
    customer = await make_customer(session)
    for day in range(20):
        await make_invoice(
            session,
            customer,
            number=f"N{day:02d}",
            due_on=TODAY - dt.timedelta(days=day),
            amount=Decimal("100.00"),
        )
    await session.commit()
    balance = await customer_balance(session, customer.id, TODAY, listed=15)
    assert [i.number for i in balance.invoices] == [f"N{day:02d}" for day in range(19, 4, -1)]
    assert balance.more == 5
    assert balance.totals == [CurrencyTotal("CNY", Decimal("2000.00"), Decimal("1900.00"))]
    assert balance.credit is None


async def test_a_customer_over_the_limit_has_negative_available_credit(session: AsyncSession) -> None:
    customer = await make_customer(session)
    await make_invoice(session, customer, due_on=TODAY, amount=Decimal("1500.00"), currency="USD")
    session.add(_limit(customer, "1000.00", "USD", TODAY))
    await session.commit()
    balance = await customer_balance(session, customer.id, TODAY)
    assert balance.credit is not None
    assert balance.credit.available == Decimal("-500.00")


async def test_an_unknown_customer_is_not_found(session: AsyncSession) -> None:
    with pytest.raises(NotFound):
        await customer_balance(session, 999_999, TODAY)
