"""The receivables run: overdue alerts once per invoice, the dunning ladder, legal recovery flags."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.numbers import format_currency
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.i18n import gettext_for, translation
from portcrm.jobs.base import JobContext, run_claimed
from portcrm.jobs.receivables import RECEIVABLES
from portcrm.models import AuditEntry, ChatUser, Customer, Invoice, Notification, Staff
from portcrm.settings import Settings
from portcrm.storage.db import Database
from tests.factories import make_contact, make_customer, make_invoice, make_staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 20)


def _days(n: int, base: dt.date = TODAY) -> dt.date:
    return base + dt.timedelta(days=n)


def _ctx(db: Database, day: dt.date = TODAY, **settings: object) -> JobContext:
    moment = dt.datetime.combine(day, dt.time(9), tzinfo=SHANGHAI)
    return JobContext(db, Settings(_env_file=None, **settings), moment)  # type: ignore[arg-type]


async def _sent(db: Database, kind: str) -> list[Notification]:
    async with db.session() as session:
        rows = await session.scalars(select(Notification).where(Notification.kind == kind).order_by("id"))
        return list(rows)


async def _team(session: AsyncSession) -> tuple[Staff, Staff, Staff]:
    """Two finance colleagues (the first reads English) and a marketer who manages customers."""
    fin_en = await make_staff(session, name="Fay", roles=(Role.FINANCE,), telegram_user_id=6001)
    fin_zh = await make_staff(session, name="方", roles=(Role.FINANCE,), telegram_user_id=6002)
    marketer = await make_staff(session, name="Mark & Co", phone="+8657487654321", telegram_user_id=6003)
    session.add(ChatUser(telegram_user_id=6001, locale="en"))
    return fin_en, fin_zh, marketer


async def test_newly_overdue_invoices_reach_each_recipient_in_one_message_and_only_once(db: Database) -> None:
    async with db.session() as session:
        fin_en, fin_zh, marketer = await _team(session)
        mine = await make_customer(session, name="Mine", account_manager_id=marketer.id)
        nobodys = await make_customer(session, name="Nobody's")
        await make_invoice(session, mine, number="M-1", due_on=_days(-1), amount=Decimal("1000.00"))
        await make_invoice(session, mine, number="M-5", due_on=_days(-5), currency="USD")
        await make_invoice(session, nobodys, number="N-1", due_on=_days(-1), amount=Decimal("234.50"))
        await make_invoice(session, mine, number="DUE-TODAY", due_on=TODAY)
        await make_invoice(session, mine, number="SETTLED", due_on=_days(-3), settled=True)
        await make_invoice(session, mine, number="PAID-UP", due_on=_days(-3), paid_amount=Decimal("10000.00"))
        await session.commit()

    result = await RECEIVABLES.run(_ctx(db))
    assert (result["newly_overdue"], result["overdue_alerts"]) == (3, 3)
    alerts = await _sent(db, "overdue_alert")
    assert [n.staff_id for n in alerts] == [fin_en.id, fin_zh.id, marketer.id]
    numbers = [
        [w for w in ("M-1", "M-5", "N-1", "DUE-TODAY", "SETTLED", "PAID-UP") if w in n.text] for n in alerts
    ]
    assert numbers == [["M-1", "M-5", "N-1"], ["M-1", "M-5", "N-1"], ["M-1", "M-5"]]
    en = gettext_for("en")
    assert alerts[0].text.startswith(en("<b>Newly overdue invoices</b> ({count})").format(count=3))
    cny = format_currency(Decimal("1234.50"), "CNY", locale="en")
    usd = format_currency(Decimal("10000"), "USD", locale="en")
    assert alerts[0].text.endswith(en("Total: {amounts}").format(amounts=f"{cny}, {usd}"))
    assert gettext_for("zh_CN")("<b>Newly overdue invoices</b> ({count})").format(count=3) in alerts[1].text

    assert (await RECEIVABLES.run(_ctx(db)))["overdue_alerts"] == 0, "a re-run announces nothing again"
    async with db.session() as session:
        await make_invoice(session, mine, number="LATE-IMPORT", due_on=_days(-40))
        await session.commit()
    tomorrow = await RECEIVABLES.run(_ctx(db, _days(1)))
    assert (tomorrow["newly_overdue"], tomorrow["overdue_alerts"]) == (2, 3), "DUE-TODAY and LATE-IMPORT"
    latest = (await _sent(db, "overdue_alert"))[3:]
    assert all("LATE-IMPORT" in n.text and "M-1" not in n.text for n in latest)


async def test_the_finance_group_chat_replaces_one_message_per_member(db: Database) -> None:
    async with db.session() as session:
        _fin_en, _fin_zh, marketer = await _team(session)
        customer = await make_customer(session, account_manager_id=marketer.id)
        await make_invoice(session, customer, due_on=_days(-1))
        await session.commit()
    await RECEIVABLES.run(_ctx(db, department_chats={"finance": -100500}))
    alerts = await _sent(db, "overdue_alert")
    assert [(n.chat_id, n.staff_id) for n in alerts] == [(-100500, None), (6003, marketer.id)]


async def _billing_customer(session: AsyncSession, manager: Staff | None, locale: str = "en") -> Customer:
    customer = await make_customer(
        session, name="Ladder <Ltd>", account_manager_id=manager.id if manager else None
    )
    await make_contact(session, customer, name="Primary", telegram_user_id=8100 + customer.id)
    await make_contact(
        session,
        customer,
        name="Billing",
        is_primary=False,
        is_billing=True,
        telegram_user_id=8200 + customer.id,
    )
    session.add(ChatUser(telegram_user_id=8200 + customer.id, locale=locale))
    return customer


@pytest.mark.parametrize("rung", [-3, 1, 15, 30])
async def test_an_invoice_on_each_rung_brings_one_statement_to_the_billing_contact(
    db: Database, rung: int
) -> None:
    async with db.session() as session:
        customer = await _billing_customer(session, None)
        await make_invoice(session, customer, number="ON-RUNG", due_on=_days(-rung))
        await make_invoice(session, customer, number="ALSO-ON-RUNG", due_on=_days(-rung))
        await session.commit()
    assert (await RECEIVABLES.run(_ctx(db)))["statements"] == 1
    (statement,) = await _sent(db, "dunning")
    assert statement.chat_id == 8200 + customer.id, "the billing contact, not the primary one"
    assert statement.idempotency_key == f"dunning:{customer.id}:2026-11-20"
    en = gettext_for("en")
    title = en("<b>Payment reminder</b>") if rung < 0 else en("<b>Dunning notice</b>")
    assert statement.text.startswith(title)
    assert en("Questions? Please contact our finance department.") in statement.text
    due = _days(-rung)
    for offset in (-4, -2, 0, 2, 14, 16, 31):  # off the ladder: nothing
        assert (await RECEIVABLES.run(_ctx(db, _days(offset, due))))["statements"] == 0, offset


async def test_the_statement_lists_every_open_invoice_with_totals_per_currency_in_the_readers_locale(
    db: Database,
) -> None:
    async with db.session() as session:
        _fin_en, _fin_zh, marketer = await _team(session)
        english = await _billing_customer(session, marketer, "en")
        chinese = await _billing_customer(session, marketer, "zh_CN")
        for customer in (english, chinese):
            await make_invoice(
                session, customer, number=f"R{customer.id}", due_on=_days(3), amount=Decimal("12345.60")
            )
            await make_invoice(
                session,
                customer,
                number=f"OLD{customer.id}",
                due_on=_days(-10),
                amount=Decimal("3000.00"),
                paid_amount=Decimal("1000.00"),
                currency="USD",
            )
            await make_invoice(
                session, customer, number=f"SETTLED{customer.id}", due_on=_days(-10), settled=True
            )
        await session.commit()

    assert (await RECEIVABLES.run(_ctx(db)))["statements"] == 2
    for statement, customer, locale in zip(
        await _sent(db, "dunning"), (english, chinese), ("en", "zh_CN"), strict=True
    ):
        text, _ = statement.text, gettext_for(locale)
        ngettext = translation(locale).ngettext
        assert text.startswith(_("<b>Dunning notice</b>")), "one invoice is overdue: a dunning notice"
        assert "Ladder &lt;Ltd&gt;" in text
        cny = format_currency(Decimal("12345.60"), "CNY", locale=locale)
        usd = format_currency(Decimal("2000.00"), "USD", locale=locale)
        assert f"R{customer.id}" in text
        assert f"OLD{customer.id}" in text
        assert f"SETTLED{customer.id}" not in text
        assert ngettext("due in {days} day", "due in {days} days", 3).format(days=3) in text
        assert ngettext("{days} day overdue", "{days} days overdue", 10).format(days=10) in text
        assert "• " + cny in text
        assert "• " + usd + " " + _("(overdue: {amount})").format(amount=usd) in text
        ask = _("Questions? Please contact your account manager {name} ({phone}).")
        assert ask.format(name="Mark &amp; Co", phone="+8657487654321") in text
    assert "¥12,345.60" in (await _sent(db, "dunning"))[1].text
    assert "CN¥12,345.60" in (await _sent(db, "dunning"))[0].text


async def test_a_payment_stops_the_ladder_at_once(db: Database) -> None:
    async with db.session() as session:
        customer = await _billing_customer(session, None)
        paid = await make_invoice(session, customer, number="PAID-LATER", due_on=_days(-1))
        await make_invoice(
            session, customer, number="PAID-UP", due_on=_days(-1), paid_amount=Decimal("10000.00")
        )
        await session.commit()
    assert (await RECEIVABLES.run(_ctx(db)))["statements"] == 1
    assert "PAID-UP" not in (await _sent(db, "dunning"))[0].text, "paid in full: no longer open"

    async with db.session() as session:
        invoice = await session.get(Invoice, paid.id)
        assert invoice is not None
        invoice.paid_amount, invoice.settled = invoice.amount, True
        await session.commit()
    assert (await RECEIVABLES.run(_ctx(db, _days(14))))["statements"] == 0, "rung 15 is not reached"
    assert len(await _sent(db, "dunning")) == 1


async def test_the_primary_contact_is_used_when_the_billing_contact_blocked_the_bot(db: Database) -> None:
    async with db.session() as session:
        customer = await _billing_customer(session, None)
        blocked = await session.get(ChatUser, 8200 + customer.id)
        assert blocked is not None
        blocked.blocked_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        unreachable = await make_customer(session)
        await make_contact(session, unreachable)  # not on Telegram
        for c in (customer, unreachable):
            await make_invoice(session, c, due_on=_days(-1))
        await session.commit()
    result = await RECEIVABLES.run(_ctx(db))
    assert (result["statements"], result["statements_unreachable"]) == (1, 1)
    (statement,) = await _sent(db, "dunning")
    assert statement.chat_id == 8100 + customer.id
    assert statement.text.startswith(gettext_for("zh_CN")("<b>Dunning notice</b>")), "no saved language"


async def test_invoices_over_ninety_days_are_flagged_for_legal_recovery_once(db: Database) -> None:
    async with db.session() as session:
        await make_staff(session, name="Boss", roles=(Role.MANAGER,), telegram_user_id=6100)
        await make_staff(session, name="Deputy", roles=(Role.MANAGER,), telegram_user_id=6101)
        customer = await make_customer(session, name="Slow payer")
        old = await make_invoice(session, customer, number="OLD", due_on=_days(-90))
        await make_invoice(session, customer, number="OLD-SETTLED", due_on=_days(-200), settled=True)
        await session.commit()

    assert (await RECEIVABLES.run(_ctx(db)))["legal_flagged"] == 0, "90 days overdue: not yet"
    result = await run_claimed(RECEIVABLES, _ctx(db, _days(1)))
    assert result is not None
    assert (result["legal_flagged"], result["legal_alerts"]) == (1, 2)
    assert await run_claimed(RECEIVABLES, _ctx(db, _days(1))) is None
    assert (await RECEIVABLES.run(_ctx(db, _days(2))))["legal_flagged"] == 0

    async with db.session() as session:
        invoice = await session.get(Invoice, old.id)
        assert invoice is not None
        assert invoice.legal_action_since == _days(1)
        audit = (
            await session.scalars(select(AuditEntry).where(AuditEntry.field == "legal_action_since"))
        ).all()
        assert [(a.entity_id, a.new_value, a.source) for a in audit] == [(old.id, "2026-11-21", "system")]
    alerts = await _sent(db, "legal_action")
    assert [n.chat_id for n in alerts] == [6100, 6101]
    zh = gettext_for("zh_CN")
    assert alerts[0].text.startswith(zh("<b>Flagged for legal recovery</b>"))
    assert "OLD" in alerts[0].text
    assert "Slow payer" in alerts[0].text
