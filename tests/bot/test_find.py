"""/find, the customer card and /history in the chat: every staff member, and only staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from portcrm.enums import CustomerType, Grade, Role
from portcrm.i18n import gettext_for
from portcrm.labels import CUSTOMER_TYPE_NAMES
from portcrm.models import AuditEntry, CreditLimit, Visit
from tests.factories import make_contact, make_customer, make_invoice, make_staff
from tests.harness import TOKEN, RunningBot

NOT_AVAILABLE = "I don't know that command, or it is not available to you. Send /help to see what I can do."
STALE = "This button is no longer valid."
REASON = "Paid on time: {on_time} of {due} invoices, {days} days late on average"
LOCALES = {"en": "en", "zh-hans": "zh_CN", "zh-hant": "zh_TW"}
MARKET, ACCOUNT_MANAGER, FINANCE, OPERATIONS, MANAGER, CUSTOMER_USER, STRANGER = (
    4001,
    4002,
    4003,
    4004,
    4005,
    4100,
    4200,
)


@dataclass
class Port:
    customer_id: int
    other_id: int


async def _port(app: RunningBot) -> Port:
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=MARKET, roles=(Role.MARKET,))
        manager = await make_staff(
            session, telegram_user_id=ACCOUNT_MANAGER, name="李经理", roles=(Role.MARKET,)
        )
        await make_staff(session, telegram_user_id=FINANCE, roles=(Role.FINANCE,))
        await make_staff(session, telegram_user_id=OPERATIONS, roles=(Role.OPERATIONS,))
        await make_staff(session, telegram_user_id=MANAGER, roles=(Role.MANAGER,))
        customer = await make_customer(
            session,
            code="NB001",
            name="宁波远洋运输有限公司",
            name_en="Ningbo Ocean <Shipping>",
            type=CustomerType.SHIPPING_LINE,
            grade=Grade.A,
            account_manager_id=manager.id,
            grade_reasons=[
                {"text": "Paid on time", "msgid": REASON, "params": {"on_time": 9, "due": 10, "days": 2}},
                {"text": "Long <cooperation>"},
            ],
        )
        await make_contact(
            session, customer, name="王经理", phone="+8613857412345", telegram_user_id=CUSTOMER_USER
        )
        other = await make_customer(session, code="ZJ002", name="浙江远洋物流有限公司")
        await make_invoice(session, customer, due_on=dt.date(2020, 1, 1), amount=Decimal("1000.00"))
        session.add(
            CreditLimit(
                customer_id=customer.id,
                amount=Decimal("5000"),
                currency="CNY",
                effective_from=dt.date(2020, 1, 1),
            )
        )
        session.add(
            Visit(
                customer_id=customer.id,
                staff_id=manager.id,
                method="on_site",
                occurred_at=dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC),
                notes="tea",
            )
        )
        await session.commit()
        return Port(customer.id, other.id)


async def test_find_opens_the_card_with_receivables_only_for_those_entitled(app: RunningBot) -> None:
    await _port(app)
    cases = (
        (MARKET, "zh-hans", False, True),  # a market colleague, not the account manager
        (ACCOUNT_MANAGER, "en", True, True),
        (FINANCE, "zh-hant", True, False),
        (OPERATIONS, "en", False, False),
    )
    for user_id, language, sees_finances, sees_phone in cases:
        _ = gettext_for(LOCALES[language])
        card = await app.say(app.user(user_id, language_code=language), "/find nbyy")
        text = card.text or ""
        assert "宁波远洋运输有限公司" in text, user_id
        assert "Ningbo Ocean <Shipping>" in text, "escaped, shown as typed"
        assert _(CUSTOMER_TYPE_NAMES[CustomerType.SHIPPING_LINE]) in text
        assert _("A · core customer") in text
        assert _(REASON).format(on_time=9, due=10, days=2) in text
        assert "Long <cooperation>" in text
        assert _("Account manager: {name}").format(name="李经理") in text
        assert ("+8613857412345" in text) == sees_phone, user_id
        assert "2345" in text
        assert (_("Receivables") in text) == sees_finances, user_id
        assert ("5,000.00" in text or "5000.00" in text) == sees_finances
        assert card.buttons[0][0][0] == "🕘 " + _("History")


async def test_several_matches_offer_buttons_and_none_or_nothing_say_so(app: RunningBot) -> None:
    port = await _port(app)
    user = app.user(MANAGER, language_code="zh-hans")
    _ = gettext_for("zh_CN")
    listed = await app.say(user, "/find 远洋")
    assert [data for row in listed.buttons for _label, data in row] == [
        f"fcard:{port.customer_id}",
        f"fcard:{port.other_id}",
    ]
    card = await app.press(user, listed, 1)
    assert card.message_id != listed.message_id
    assert "浙江远洋物流有限公司" in (card.text or "")
    by_phone = await app.say(user, "/find 138 5741 2345")
    assert "宁波远洋运输有限公司" in (by_phone.text or "")
    by_code = await app.say(user, "/find nb001")
    assert "宁波远洋运输有限公司" in (by_code.text or "")
    none = await app.say(user, "/find 不存在的公司 <b>")
    assert none.text == _(
        "No customer matches “{query}”. Try a code, a name, its pinyin initials or a phone number."
    ).format(query="不存在的公司 <b>")
    usage = await app.say(user, "/find")
    assert usage.text == _(
        "Send a customer code, name, pinyin initials, USCC or a contact's phone after /find, "
        "for example <code>/find nbyy</code>."
    ).replace("<code>", "").replace("</code>", "")


async def test_the_cards_history_button_opens_the_same_history_as_the_command(app: RunningBot) -> None:
    await _port(app)
    market = app.user(MARKET, language_code="zh-hant")
    _ = gettext_for("zh_TW")
    typed = await app.say(market, "/history 宁波远洋")
    assert "🔒" in (typed.text or ""), "market reads the basic information and contacts only"
    card = await app.say(market, "/find NB001")
    from_card = await app.press(market, card, "🕘 " + _("History"))
    assert from_card.message_id != card.message_id
    assert from_card.text == typed.text
    assert from_card.buttons == typed.buttons
    assert _("Added: {record}").format(record=_("Customer archive")) in (from_card.text or "")


async def test_customers_and_strangers_are_refused_and_forged_buttons_change_nothing(app: RunningBot) -> None:
    port = await _port(app)
    async with app.db.session() as session:
        logged = await session.scalar(select(func.count()).select_from(AuditEntry))
    for user_id in (CUSTOMER_USER, STRANGER):
        user = app.user(user_id, language_code="zh-hans")
        for command in ("/find nbyy", "/history NB001", "/find 宁波"):
            reply = await app.say(user, command)
            assert reply.text == gettext_for("zh_CN")(NOT_AVAILABLE), (user_id, command)
    customer = app.user(CUSTOMER_USER, language_code="en")
    message = await app.say(customer, "/help")
    mark = app.sandbox.mark()
    for forged in (f"fcard:{port.customer_id}", f"fhist:{port.other_id}", f"fhpg:{port.customer_id}:1:"):
        answer = await app.sandbox.wait_for_answer(app.sandbox.press_data(TOKEN, customer, message, forged))
        assert (answer.text, answer.show_alert) == (STALE, True), forged
    await app.settled()
    assert app.sandbox.replies(customer, mark, token=TOKEN) == []
    staff = app.user(OPERATIONS, language_code="en")
    card = await app.say(staff, "/find nbyy")
    for forged in ("fcard:999999", "fhist:0", f"fhpg:{port.customer_id}:7:", f"fhpg:{port.customer_id}:7"):
        answer = await app.sandbox.wait_for_answer(app.sandbox.press_data(TOKEN, staff, card, forged))
        assert answer.show_alert, forged
        assert answer.text in {"No such customer.", STALE}, forged
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == logged
