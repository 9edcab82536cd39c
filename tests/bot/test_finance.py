"""The finance desk in chat: ageing, the exported ledger, payments, credit and legal marks, and who may."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import func, select

from portcrm.enums import CreditRating, Role
from portcrm.i18n import gettext_for
from portcrm.jobs.base import JobContext
from portcrm.jobs.receivables import RECEIVABLES
from portcrm.models import AuditEntry, CreditLimit, Customer, Invoice, Notification, Payment
from portcrm.services.receivables.ageing import Bucket
from portcrm.services.receivables.export import BUCKET_NAMES
from portcrm.services.receivables.ledger import money
from tests.factories import make_contact, make_customer, make_invoice, make_staff
from tests.harness import TOKEN, RunningBot

NOT_AVAILABLE = "I don't know that command, or it is not available to you. Send /help to see what I can do."
STALE = "This button is no longer valid."


def _today(app: RunningBot) -> dt.date:
    return dt.datetime.now(app.settings.tz).date()


async def _port(app: RunningBot) -> dict[str, int]:
    today = _today(app)
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=7101, name="钱会计", roles=(Role.FINANCE,))
        await make_staff(session, telegram_user_id=7102, name="王经理", roles=(Role.MANAGER,))
        await make_staff(session, telegram_user_id=7103, name="李市场", roles=(Role.MARKET,))
        customer = await make_customer(session, code="FIN001", name="宁波<欠款>货代")
        await make_contact(session, customer, telegram_user_id=7104)
        late = await make_invoice(
            session,
            customer,
            number="INV-LATE",
            due_on=today - dt.timedelta(days=45),
            amount=Decimal("1000.00"),
        )
        await make_invoice(
            session,
            customer,
            number="INV-USD",
            due_on=today - dt.timedelta(days=5),
            amount=Decimal("300.00"),
            currency="USD",
        )
        await make_invoice(session, customer, number="INV-NEW", due_on=today + dt.timedelta(days=5))
        await session.commit()
        return {"customer": customer.id, "late": late.id}


async def _count(app: RunningBot, model: type) -> int:
    async with app.db.session() as session:
        count = await session.scalar(select(func.count()).select_from(model))
        await session.commit()
        return int(count or 0)


async def test_overdue_lists_buckets_and_exports_a_ledger_matching_the_database(app: RunningBot) -> None:
    await _port(app)
    finance = app.user(7101, language_code="zh-hans")
    _zh = gettext_for("zh_CN")
    report = await app.say(finance, "/overdue")
    assert _zh("<b>Largest overdue customers</b>").replace("<b>", "").replace("</b>", "") in report.text
    assert "宁波<欠款>货代" in report.text
    assert money(Decimal("1000.00"), "CNY", "zh_CN") in report.text
    listing = await app.press(finance, report, f"{_zh(BUCKET_NAMES[Bucket.D60])} (1)")
    assert "INV-LATE" in listing.text
    assert "INV-USD" not in listing.text
    mark = app.sandbox.mark()
    await app.press(finance, report, _zh("Export ledger (.xlsx)"))
    await app.settled()
    documents = [m for m in app.sandbox.replies(finance, mark, token=TOKEN) if m.kind == "document"]
    assert len(documents) == 1
    assert documents[0].file is not None
    book = load_workbook(io.BytesIO(documents[0].file.data))
    totals = {row[0]: row for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    async with app.db.session() as session:
        for currency in ("CNY", "USD"):
            expected = await session.scalar(
                select(func.sum(Invoice.amount - Invoice.paid_amount)).where(
                    Invoice.currency == currency, Invoice.settled.is_(False)
                )
            )
            assert Decimal(str(totals[currency][4])).quantize(Decimal("0.01")) == expected
        await session.commit()
    assert book.worksheets[0].max_row == 4


async def test_a_payment_is_confirmed_then_recorded_and_an_overpayment_writes_nothing(
    app: RunningBot,
) -> None:
    await _port(app)
    finance = app.user(7101, language_code="en")
    over = await app.say(finance, "/payment INV-LATE 1000.01")
    refused = await app.press(finance, over, "Record payment")
    assert refused.text.startswith("Not recorded: Payment ")
    assert await _count(app, Payment) == 0
    preview = await app.say(finance, "/payment INV-LATE 1000 CNY BANK-778")
    assert "BANK-778" in preview.text
    confirm_data = preview.buttons[0][0][1]
    assert confirm_data is not None
    done = await app.press(finance, preview, "Record payment")
    assert money(Decimal("0"), "CNY", "en") in done.text
    assert "The invoice is settled." in done.text
    async with app.db.session() as session:
        invoice = await session.scalar(select(Invoice).where(Invoice.number == "INV-LATE"))
        assert invoice is not None
        assert invoice.settled
        assert invoice.paid_amount == Decimal("1000.00")
        await session.commit()
    # pressing the same confirmation again records nothing more
    update = app.sandbox.press_data(TOKEN, finance, preview, confirm_data)
    assert (await app.sandbox.wait_for_answer(update)).text == STALE
    assert await _count(app, Payment) == 1
    bad = await app.say(finance, "/payment NOPE 10")
    assert bad.text == "Unknown invoice number: NOPE"


async def test_credit_rating_and_limit_are_set_and_audited(app: RunningBot) -> None:
    ids = await _port(app)
    manager = app.user(7102, language_code="zh-hans")
    card = await app.say(manager, "/credit fin001")
    assert gettext_for("zh_CN")("No credit limit set.") in card.text
    await app.press(manager, card, "AA")
    reply = await app.say(manager, "/limit FIN001 50000 USD 年度复核")
    assert money(Decimal("50000"), "USD", "zh_CN") in reply.text
    async with app.db.session() as session:
        customer = await session.get(Customer, ids["customer"])
        assert customer is not None
        assert customer.credit_rating is CreditRating.AA
        limit = await session.scalar(select(CreditLimit))
        assert limit is not None
        assert (limit.currency, limit.reason) == ("USD", "年度复核")
        fields = set(await session.scalars(select(AuditEntry.field).where(AuditEntry.source == "chat")))
        assert {"credit_rating", "amount"} <= fields
        await session.commit()


async def test_credit_shows_exposure_limit_and_use_per_currency(app: RunningBot) -> None:
    """Issue 17 item 6: /credit showed limits but neither what is owed nor how much of the limit it uses."""
    await _port(app)
    manager = app.user(7102, language_code="zh-hans")
    await app.say(manager, "/limit FIN001 50000")
    card = await app.say(manager, "/credit FIN001")
    zh = gettext_for("zh_CN")
    assert _plain(zh("<b>Exposure</b> (open invoices, per currency)")) in card.text
    assert (
        zh("• {currency}: exposure {outstanding} · limit {limit} · {used} used").format(
            currency="CNY",
            outstanding=money(Decimal("11000.00"), "CNY", "zh_CN"),
            limit=money(Decimal("50000"), "CNY", "zh_CN"),
            used="22%",
        )
        in card.text
    )
    assert (
        zh("• {currency}: exposure {outstanding} · no limit in this currency").format(
            currency="USD", outstanding=money(Decimal("300.00"), "USD", "zh_CN")
        )
        in card.text
    )


async def test_a_limit_below_the_exposure_is_set_only_once_confirmed(app: RunningBot) -> None:
    """Issue 17 item 6: a limit below what the customer owes put it over at once without a word."""
    await _port(app)
    finance = app.user(7101, language_code="zh-hant")
    zh = gettext_for("zh_TW")
    figures = {
        "company": "宁波&lt;欠款&gt;货代",
        "limit": money(Decimal("5000"), "CNY", "zh_TW"),
        "exposure": money(Decimal("11000.00"), "CNY", "zh_TW"),
        "used": "220%",
    }
    ask = await app.say(finance, "/limit FIN001 5000 临时下调")
    warning = zh(
        "⚠️ The new limit {limit} is below what {company} owes now: {exposure} is outstanding, "
        "{used} of the new limit. The customer would be over the limit at once. Set it anyway?"
    )
    assert ask.text == warning.format(**figures).replace("&lt;", "<").replace("&gt;", ">")
    assert await _count(app, CreditLimit) == 0, "nothing is written before the answer"
    cancelled = await app.press(finance, ask, zh("Cancel"))
    assert cancelled.text == zh("Cancelled. The credit limit was not changed.")
    assert await _count(app, CreditLimit) == 0

    ask = await app.say(finance, "/limit FIN001 5000 临时下调")
    done = await app.press(finance, ask, zh("Set the limit anyway"))
    over = zh(
        "⚠️ {company} is over this limit at once: {exposure} is outstanding, {used} of the limit {limit}."
    )
    assert done.text.endswith(over.format(**figures).replace("&lt;", "<").replace("&gt;", ">"))
    async with app.db.session() as session:
        limit = await session.scalar(select(CreditLimit))
        await session.commit()
    assert limit is not None
    assert (limit.amount, limit.currency, limit.reason) == (Decimal("5000"), "CNY", "临时下调")
    update = app.sandbox.press_data(TOKEN, finance, ask, ask.buttons[0][0][1] or "")
    assert (await app.sandbox.wait_for_answer(update)).text == zh(STALE)
    assert await _count(app, CreditLimit) == 1


async def test_legal_mark_is_set_once_and_managers_are_alerted(app: RunningBot) -> None:
    ids = await _port(app)
    finance = app.user(7101, language_code="en")
    report = await app.say(finance, "/overdue")
    listing = await app.press(finance, report, "31–60 days (1)")
    confirm = await app.press(finance, listing, "⚖️ INV-LATE")
    done = await app.press(finance, confirm, "Mark for legal action")
    assert "INV-LATE" in done.text
    assert "managers and finance are told" in done.text
    update = app.sandbox.press_data(TOKEN, finance, confirm, f"flg:{ids['late']}:1")
    assert "already marked" in (await app.sandbox.wait_for_answer(update)).text
    async with app.db.session() as session:
        alerts = list(await session.scalars(select(Notification).where(Notification.kind == "legal_action")))
        await session.commit()
    assert [a.chat_id for a in alerts] == [7102]


def _plain(text: str) -> str:
    return text.replace("<b>", "").replace("</b>", "")


async def test_finance_morning_alert_names_the_invoices_flagged_for_legal_recovery(app: RunningBot) -> None:
    """Issue 17 item 13: the legal flag reached the managers alone; finance's overdue alert now names it."""
    await _port(app)
    today = _today(app)
    async with app.db.session() as session:
        customer = await session.scalar(select(Customer).where(Customer.code == "FIN001"))
        assert customer is not None
        await make_invoice(session, customer, number="INV-ANCIENT", due_on=today - dt.timedelta(days=120))
        await session.commit()
    finance, manager = app.user(7101, language_code="zh-hans"), app.user(7102, language_code="en")
    for user in (finance, manager):
        await app.say(user, "/start")  # chats Telegram can deliver to
    mark = app.sandbox.mark()
    moment = dt.datetime.combine(today, dt.time(9), tzinfo=app.settings.tz)
    result = await RECEIVABLES.run(JobContext(app.db, app.settings, moment))
    assert (result["legal_flagged"], result["legal_alerts"]) == (1, 1)
    alert = await app.sandbox.wait_for_reply(finance, after=mark, token=TOKEN)
    zh = gettext_for("zh_CN")
    overdue, legal = alert.text.split(
        _plain(zh("⚖️ <b>Flagged for legal recovery today</b> ({count})")).format(count=1)
    )
    assert _plain(zh("<b>Newly overdue invoices</b> ({count})")).format(count=3) in overdue
    assert "INV-ANCIENT" in legal
    assert "INV-LATE" not in legal, "45 days overdue: not yet for the lawyers"
    told = await app.sandbox.wait_for_reply(manager, after=mark, token=TOKEN)
    assert told.text.startswith(_plain(gettext_for("en")("<b>Flagged for legal recovery</b>")))
    assert "INV-ANCIENT" in told.text
    again = await RECEIVABLES.run(JobContext(app.db, app.settings, moment))
    assert (again["overdue_alerts"], again["legal_alerts"]) == (0, 0)


async def test_a_legal_mark_by_a_manager_tells_finance_but_not_the_manager(app: RunningBot) -> None:
    ids = await _port(app)
    finance, manager = app.user(7101, language_code="en"), app.user(7102, language_code="en")
    await app.say(finance, "/start")
    mark = app.sandbox.mark()
    update = app.sandbox.press_data(
        TOKEN, manager, await app.say(manager, "/overdue"), f"flg:{ids['late']}:1"
    )
    assert "managers and finance are told" in (await app.sandbox.wait_for_reply(manager, after=update)).text
    told = await app.sandbox.wait_for_reply(finance, after=mark, token=TOKEN)
    assert "INV-LATE" in told.text
    async with app.db.session() as session:
        alerts = list(await session.scalars(select(Notification).where(Notification.kind == "legal_action")))
        await session.commit()
    assert [a.chat_id for a in alerts] == [7101]


async def test_market_staff_and_customers_are_refused_and_nothing_changes(app: RunningBot) -> None:
    ids = await _port(app)
    for user_id, language in ((7103, "en"), (7104, "zh-hans")):
        user = app.user(user_id, language_code=language)
        locale = "en" if language == "en" else "zh_CN"
        for command in ("/overdue", "/payment INV-LATE 10", "/credit FIN001", "/limit FIN001 1"):
            assert (await app.say(user, command)).text == gettext_for(locale)(NOT_AVAILABLE), command
        menu = await app.say(user, "/language")
        for data in (f"frt:{ids['customer']}:AAA", f"flg:{ids['late']}:1", "fxl", "fbk:30:0", "fpay:abc"):
            update = app.sandbox.press_data(TOKEN, user, menu, data)
            assert (await app.sandbox.wait_for_answer(update)).text == gettext_for(locale)(STALE), data
    async with app.db.session() as session:
        customer = await session.get(Customer, ids["customer"])
        invoice = await session.get(Invoice, ids["late"])
        assert customer is not None
        assert customer.credit_rating is None
        assert invoice is not None
        assert invoice.legal_action_since is None
        await session.commit()
    assert await _count(app, CreditLimit) == 0
    assert await _count(app, Payment) == 0
