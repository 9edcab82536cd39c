"""/edit and /contact: each department changes only its part of the archive, through buttons and a form."""

from __future__ import annotations

from sqlalchemy import func, select

from portcrm.enums import CreditRating, Role
from portcrm.i18n import gettext_for
from portcrm.models import AuditEntry, Contact, Customer, Notification
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot

NOT_AVAILABLE = "I don't know that command, or it is not available to you. Send /help to see what I can do."
STALE = "This button is no longer valid."
MARKET, OPERATIONS, FINANCE, MANAGER, ADMIN, CUSTOMER, STRANGER = 9501, 9502, 9503, 9504, 9505, 9506, 9507


async def _port(app: RunningBot) -> int:
    async with app.db.session() as session:
        manager = await make_staff(session, telegram_user_id=MARKET, name="王市场", roles=(Role.MARKET,))
        await make_staff(session, telegram_user_id=OPERATIONS, name="张运营", roles=(Role.OPERATIONS,))
        await make_staff(session, telegram_user_id=FINANCE, name="李财务", roles=(Role.FINANCE,))
        await make_staff(session, telegram_user_id=MANAGER, name="赵经理", roles=(Role.MANAGER,))
        await make_staff(session, telegram_user_id=ADMIN, name="管理员", roles=(Role.ADMIN,))
        customer = await make_customer(
            session,
            code="NBA100",
            name="宁波档案货代有限公司",
            account_manager_id=manager.id,
            annual_volume_teu=100,
        )
        await make_contact(session, customer, name="李娜", telegram_user_id=CUSTOMER)
        await session.commit()
        return customer.id


async def _snapshot(app: RunningBot, customer_id: int) -> tuple[object, ...]:
    async with app.db.session() as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        audits = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "update")
        )
        contacts = await session.scalar(select(func.count()).select_from(Contact))
        notes = await session.scalar(select(func.count()).select_from(Notification))
        await session.commit()
        return (customer.annual_volume_teu, customer.credit_rating, customer.name, audits, contacts, notes)


async def test_operations_edits_the_volume_and_the_account_manager_is_told(app: RunningBot) -> None:
    await _port(app)
    _zh = gettext_for("zh_CN")
    user = app.user(OPERATIONS, language_code="zh-hans")
    menu = await app.say(user, "/edit nba100")
    labels = [text for row in menu.buttons for text, _ in row]
    assert labels == [_zh(n) for n in ("Annual volume (TEU)", "Cargo types", "Routes", "Freight payment")]
    assert all(len(data.encode()) <= 64 for row in menu.buttons for _, data in row)
    prompt = await app.press(user, menu, _zh("Annual volume (TEU)"))
    assert _zh("Now: {value}").format(value="100") in prompt.text
    bad = await app.say(user, "lots")
    assert bad.text == _zh("Invalid number: {value}. Please write a whole number such as 12000.").format(
        value="lots"
    )
    confirm = await app.say(user, "2500")
    assert "100 → 2500" in confirm.text
    done = await app.press(user, confirm, _zh("Confirm"))
    assert "100 → 2500" in done.text
    assert _zh("{name}, the account manager, has been informed.").format(name="王市场") in done.text
    async with app.db.session() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.field == "annual_volume_teu", AuditEntry.action == "update")
        )
        note = await session.scalar(select(Notification))
        await session.commit()
    assert entry is not None
    assert (entry.old_value, entry.new_value, entry.source) == ("100", "2500", "chat")
    assert entry.staff_id is not None
    assert entry.actor == f"staff:{entry.staff_id}"
    assert note is not None
    assert note.chat_id == MARKET
    assert "100 → 2500" in note.text


async def test_finance_picks_a_rating_with_a_button_in_english(app: RunningBot) -> None:
    customer_id = await _port(app)
    user = app.user(FINANCE, language_code="en")
    menu = await app.say(user, "/edit NBA100")
    assert "Credit rating" in [text for row in menu.buttons for text, _ in row]
    assert "Routes" not in [text for row in menu.buttons for text, _ in row]
    prompt = await app.press(user, menu, "Credit rating")
    confirm = await app.press(user, prompt, "AA")
    done = await app.press(user, confirm, "Confirm")
    assert done.text.startswith("Saved.")
    async with app.db.session() as session:
        customer = await session.get(Customer, customer_id)
        await session.commit()
    assert customer is not None
    assert customer.credit_rating == CreditRating.AA


async def test_market_cancels_and_a_bad_date_is_refused(app: RunningBot) -> None:
    customer_id = await _port(app)
    before = await _snapshot(app, customer_id)
    user = app.user(MARKET, language_code="en")
    menu = await app.say(user, "/edit NBA100")
    await app.press(user, menu, "Founded on")
    bad = await app.say(user, "2001-02-30")
    assert bad.text == "Invalid date: 2001-02-30. Please write it as YYYY-MM-DD."
    confirm = await app.say(user, "2001-02-03")
    cancelled = await app.press(user, confirm, "Cancel")
    assert cancelled.text == "Cancelled. Nothing was saved."
    assert await _snapshot(app, customer_id) == before


async def test_a_forged_button_for_another_departments_field_changes_nothing(app: RunningBot) -> None:
    customer_id = await _port(app)
    before = await _snapshot(app, customer_id)
    _zh = gettext_for("zh_CN")
    user = app.user(OPERATIONS, language_code="zh-hans")
    menu = await app.say(user, "/edit NBA100")
    for data in (f"arf:{customer_id}:cr", f"arf:{customer_id}:nm", f"arf:{customer_id}:gr"):
        update = app.sandbox.press_data(TOKEN, user, menu, data)
        answer = await app.sandbox.wait_for_answer(update)
        assert answer.text == _zh(
            "This part of the archive is kept by another department, so you cannot change it."
        )
    stray = await app.say(user, "AAA")  # no form was started: nothing is saved
    assert stray.text != _zh("Press Confirm to save it.")
    assert await _snapshot(app, customer_id) == before


async def test_customers_strangers_and_admins_are_refused(app: RunningBot) -> None:
    customer_id = await _port(app)
    before = await _snapshot(app, customer_id)
    for user_id, language, locale in (
        (CUSTOMER, "zh-hans", "zh_CN"),
        (STRANGER, "en", "en"),
        (ADMIN, "en", "en"),
    ):
        user = app.user(user_id, language_code=language)
        for command in ("/edit NBA100", "/contact NBA100"):
            menu = await app.say(user, command)
            assert menu.text == gettext_for(locale)(NOT_AVAILABLE)
        for data in (f"arf:{customer_id}:av", f"aca:{customer_id}", "ark:1"):
            update = app.sandbox.press_data(TOKEN, user, menu, data)
            assert (await app.sandbox.wait_for_answer(update)).text == gettext_for(locale)(STALE)
    assert await _snapshot(app, customer_id) == before


async def test_market_adds_a_contact_and_operations_may_not(app: RunningBot) -> None:
    customer_id = await _port(app)
    _tw = gettext_for("zh_TW")
    user = app.user(MARKET, language_code="zh-hant")
    listing = await app.say(user, "/contact NBA100")
    assert "李娜" in listing.text
    ask = await app.press(user, listing, _tw("Add contact"))
    assert "宁波档案货代有限公司" in ask.text
    await app.say(user, "周强")
    bad = await app.say(user, "12")
    assert bad.text == _tw("Invalid phone number: {value}").format(value="12")
    done = await app.say(user, "13800138000")
    assert done.text == _tw("Contact {name} added.").format(name="周强")
    ops = app.user(OPERATIONS, language_code="en")
    refused = await app.say(ops, "/contact NBA100")
    assert refused.text == "This part of the archive is kept by another department, so you cannot change it."
    update = app.sandbox.press_data(TOKEN, ops, refused, f"aca:{customer_id}")
    answer = await app.sandbox.wait_for_answer(update)
    assert answer.text == refused.text
    async with app.db.session() as session:
        names = sorted(await session.scalars(select(Contact.name).where(Contact.customer_id == customer_id)))
        await session.commit()
    assert names == ["周强", "李娜"]
