"""Credit exposure: finance hears once per crossing of the limit in force, again after a new invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_currency
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.i18n import gettext_for
from portcrm.jobs.base import JobContext, run_claimed
from portcrm.jobs.credit import CREDIT_EXPOSURE
from portcrm.models import ChatUser, CreditLimit, Customer, Invoice, Notification
from portcrm.settings import Settings
from portcrm.storage.db import Database
from tests.factories import make_customer, make_invoice, make_staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 20)


def _ctx(db: Database, minute: int = 0, **settings: object) -> JobContext:
    moment = dt.datetime.combine(TODAY, dt.time(10), tzinfo=SHANGHAI) + dt.timedelta(minutes=minute)
    return JobContext(db, Settings(_env_file=None, **settings), moment)  # type: ignore[arg-type]


async def _alerts(db: Database) -> list[Notification]:
    async with db.session() as session:
        query = select(Notification).where(Notification.kind == "credit_exposure").order_by("id")
        return list(await session.scalars(query))


def _limit(customer: Customer, amount: str, since: dt.date, currency: str = "CNY") -> CreditLimit:
    return CreditLimit(
        customer_id=customer.id, amount=Decimal(amount), currency=currency, effective_from=since
    )


async def _over(session: AsyncSession) -> Customer:
    """50,000 CNY in force against 55,000 CNY outstanding; a USD invoice is never converted into it."""
    customer = await make_customer(session, name="Over <Ltd>")
    session.add_all(
        [_limit(customer, "10000.00", dt.date(2026, 1, 1)), _limit(customer, "50000.00", dt.date(2026, 6, 1))]
    )
    await make_invoice(session, customer, amount=Decimal("30000.00"))
    await make_invoice(session, customer, amount=Decimal("25000.00"))
    await make_invoice(session, customer, amount=Decimal("99000.00"), currency="USD")
    return customer


async def test_finance_hears_once_per_crossing_and_again_after_a_new_invoice(db: Database) -> None:
    async with db.session() as session:
        fay = await make_staff(session, name="Fay", roles=(Role.FINANCE,), telegram_user_id=6001)
        fang = await make_staff(session, name="方", roles=(Role.FINANCE,), telegram_user_id=6002)
        session.add(ChatUser(telegram_user_id=6001, locale="en"))
        over = await _over(session)
        under = await make_customer(session)
        session.add(_limit(under, "50000.00", dt.date(2026, 1, 1)))
        await make_invoice(session, under, amount=Decimal("50000.00"))  # at the limit is not over it
        later = await make_customer(session)
        session.add(_limit(later, "1.00", TODAY + dt.timedelta(days=1)))  # not in force yet
        await make_invoice(session, later)
        await session.commit()

    assert await run_claimed(CREDIT_EXPOSURE, _ctx(db)) == {"over_limit": 1, "alerts": 2}
    alerts = await _alerts(db)
    assert [(n.staff_id, n.chat_id) for n in alerts] == [(fay.id, 6001), (fang.id, 6002)]
    en = gettext_for("en")
    lines = alerts[0].text.splitlines()
    assert lines[0] == en("<b>Credit limit exceeded</b>")
    assert "Over &lt;Ltd&gt;" in lines[1]
    assert lines[-1] == en("Over the limit by: {amount}").format(
        amount=format_currency(Decimal("5000"), "CNY", locale="en")
    )
    assert gettext_for("zh_CN")("<b>Credit limit exceeded</b>") in alerts[1].text

    assert await run_claimed(CREDIT_EXPOSURE, _ctx(db, 5)) is None, "same quarter hour"
    assert await run_claimed(CREDIT_EXPOSURE, _ctx(db, 15)) == {"over_limit": 1, "alerts": 0}

    async with db.session() as session:
        newest = await make_invoice(session, over, amount=Decimal("100.00"))
        await session.commit()
    assert await CREDIT_EXPOSURE.run(_ctx(db, 30)) == {"over_limit": 1, "alerts": 2}
    assert (await _alerts(db))[-1].idempotency_key == f"exposure:{over.id}:{newest.id}:{fang.id}"

    async with db.session() as session:  # paid down below the limit: nothing to say
        for invoice in await session.scalars(select(Invoice).where(Invoice.customer_id == over.id)):
            invoice.paid_amount, invoice.settled = invoice.amount, True
        await session.commit()
    assert await CREDIT_EXPOSURE.run(_ctx(db, 45)) == {"over_limit": 0, "alerts": 0}


async def test_a_colleague_who_joins_finance_later_is_not_told_of_an_old_crossing(db: Database) -> None:
    async with db.session() as session:
        await make_staff(session, roles=(Role.FINANCE,))
        await _over(session)
        await session.commit()
    assert (await CREDIT_EXPOSURE.run(_ctx(db)))["alerts"] == 1
    async with db.session() as session:
        await make_staff(session, roles=(Role.FINANCE,))
        await session.commit()
    assert (await CREDIT_EXPOSURE.run(_ctx(db, 15)))["alerts"] == 0


async def test_the_finance_group_chat_gets_one_alert_when_configured(db: Database) -> None:
    async with db.session() as session:
        await make_staff(session, roles=(Role.FINANCE,))
        customer = await _over(session)
        await session.commit()
    assert (await CREDIT_EXPOSURE.run(_ctx(db, department_chats={"finance": -100900})))["alerts"] == 1
    (alert,) = await _alerts(db)
    assert (alert.chat_id, alert.staff_id) == (-100900, None)
    assert alert.idempotency_key.startswith(f"exposure:{customer.id}:")
