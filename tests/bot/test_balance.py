"""/balance: the company's own open invoices, overdue days, totals per currency and available credit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.numbers import format_currency

from portcrm.i18n import gettext_for, translation
from portcrm.models import CreditLimit
from tests.factories import make_contact, make_customer, make_invoice
from tests.harness import RunningBot


def _today(app: RunningBot) -> dt.date:
    return dt.datetime.now(app.settings.tz).date()


async def _ledger(app: RunningBot) -> None:
    today = _today(app)
    async with app.db.session() as session:
        customer = await make_customer(session, name="宁波余额货代有限公司")
        await make_contact(session, customer, name="王芳", telegram_user_id=8201)
        await make_contact(session, customer, name="Jane", telegram_user_id=8202, is_primary=False)
        await make_invoice(
            session,
            customer,
            number="INV-CNY-OLD",
            due_on=today - dt.timedelta(days=12),
            amount=Decimal("10000.00"),
            paid_amount=Decimal("2500.50"),
        )
        await make_invoice(
            session,
            customer,
            number="INV-USD-LATE",
            due_on=today - dt.timedelta(days=1),
            amount=Decimal("3000.00"),
            currency="USD",
        )
        await make_invoice(
            session,
            customer,
            number="INV-CNY-NEW",
            due_on=today + dt.timedelta(days=20),
            amount=Decimal("5000"),
        )
        await make_invoice(
            session,
            customer,
            number="INV-PAID",
            amount=Decimal("900.00"),
            paid_amount=Decimal("900.00"),
            settled=True,
        )
        session.add(
            CreditLimit(
                customer_id=customer.id,
                amount=Decimal("80000.00"),
                currency="CNY",
                effective_from=today - dt.timedelta(days=100),
            )
        )
        other = await make_customer(session, name="别家公司")
        await make_invoice(session, other, number="OTHER-0001", due_on=today - dt.timedelta(days=30))
        await session.commit()


async def test_balance_lists_overdue_invoices_totals_and_credit_per_locale(app: RunningBot) -> None:
    await _ledger(app)
    texts = {}
    for user_id, language_code, locale in ((8201, "zh-hans", "zh_CN"), (8202, "en", "en")):
        reply = await app.say(app.user(user_id, language_code=language_code), "/balance")
        text = reply.text or ""
        texts[locale] = text

        def money(amount: str, currency: str, locale: str = locale) -> str:
            return format_currency(Decimal(amount), currency, locale=locale)

        ngettext = translation(locale).ngettext
        assert "宁波余额货代有限公司" in text
        assert money("7499.50", "CNY") in text
        assert ngettext("{days} day overdue", "{days} days overdue", 12).format(days=12) in text
        assert ngettext("{days} day overdue", "{days} days overdue", 1).format(days=1) in text
        assert money("3000.00", "USD") in text
        assert gettext_for(locale)("Credit limit: {amount}").format(amount=money("80000.00", "CNY")) in text
        available = gettext_for(locale)("Available credit: {amount}").format(amount=money("67500.50", "CNY"))
        assert available in text, "12,499.50 CNY outstanding; the USD invoice is not converted"
        assert money("12499.50", "CNY") in text
        for foreign in ("OTHER-0001", "别家公司", "INV-PAID"):
            assert foreign not in text
        assert text.index("INV-CNY-OLD") < text.index("INV-USD-LATE") < text.index("INV-CNY-NEW")
    assert format_currency(Decimal("1"), "CNY", locale="zh_CN") != format_currency(
        Decimal("1"), "CNY", locale="en"
    )
    assert texts["zh_CN"] != texts["en"]


async def test_a_long_ledger_lists_fifteen_and_still_totals_everything(app: RunningBot) -> None:
    today = _today(app)
    async with app.db.session() as session:
        customer = await make_customer(session)
        await make_contact(session, customer, telegram_user_id=8211)
        for day in range(40):
            await make_invoice(
                session,
                customer,
                number=f"LONG-NUMBER-{day:02d}-" + "X" * 12,
                due_on=today - dt.timedelta(days=day + 1),
                amount=Decimal("123456789.99"),
                currency="CNY" if day % 2 else "EUR",
            )
        await session.commit()
    reply = await app.say(app.user(8211, language_code="en"), "/balance")
    text = reply.text or ""
    assert len(text) <= 4096
    assert text.count("LONG-NUMBER-") == 15
    assert "LONG-NUMBER-39-" in text, "the oldest due come first"
    assert "… and 25 more" in text
    assert format_currency(Decimal("2469135799.80"), "CNY", locale="en") in text
    assert format_currency(Decimal("2469135799.80"), "EUR", locale="en") in text
    assert "No credit limit is set for your company." in text
