"""Marketers make one-time invite links from chat; the link then links the contact it names."""

from __future__ import annotations

import re

from sqlalchemy import select

from portcrm.enums import Role
from portcrm.i18n import gettext_for
from portcrm.models import Contact
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot

NOT_AVAILABLE = "I don't know that command, or it is not available to you. Send /help to see what I can do."
LINK = re.compile(r"https://t\.me/portcrm_test_bot\?start=([A-Za-z0-9_-]+)")


async def _port(app: RunningBot) -> tuple[int, int]:
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=9301, name="王磊", roles=(Role.MARKET,))
        await make_staff(session, telegram_user_id=9302, name="张伟", roles=(Role.OPERATIONS,))
        customer = await make_customer(session, code="NBF777", name="宁波远洋货代有限公司")
        primary = await make_contact(session, customer, name="李娜", title="经理")
        second = await make_contact(session, customer, name="周强", is_primary=False)
        single = await make_customer(session, code="SGL001", name="舟山单人物流")
        await make_contact(session, single, name="陈一")
        other = await make_customer(session, code="XYZ001", name="No contacts Ltd")
        assert other.id
        await session.commit()
        return primary.id, second.id


async def test_a_marketer_picks_a_contact_and_the_link_links_that_contact(app: RunningBot) -> None:
    _, second_id = await _port(app)
    marketer = app.user(9301, language_code="zh-hans")
    _zh = gettext_for("zh_CN")
    picker = await app.say(marketer, "/invite nbf777")
    assert picker.text == _zh("Whom at {company} should the invite link be for?").format(
        company="宁波远洋货代有限公司"
    )
    assert [text for row in picker.buttons for text, _ in row] == ["李娜 · 经理", "周强"]
    issued = await app.press(marketer, picker, "周强")
    match = LINK.search(issued.text)
    assert match is not None
    customer_user = app.user(9401, language_code="zh-hans")
    await app.say(customer_user, f"/start {match.group(1)}")
    async with app.db.session() as session:
        linked = await session.scalar(select(Contact.id).where(Contact.telegram_user_id == 9401))
        await session.commit()
    assert linked == second_id


async def test_a_named_contact_or_a_single_contact_gets_a_link_at_once(app: RunningBot) -> None:
    await _port(app)
    marketer = app.user(9301, language_code="en")
    named = await app.say(marketer, "/invite NBF777 李娜")
    assert LINK.search(named.text)
    assert "李娜" in named.text
    single = await app.say(marketer, "/invite SGL001")
    assert LINK.search(single.text)
    assert "陈一" in single.text


async def test_bad_codes_get_clear_replies(app: RunningBot) -> None:
    await _port(app)
    marketer = app.user(9301, language_code="en")
    assert (await app.say(marketer, "/invite")).text == "Usage: /invite CUSTOMER_CODE [contact name]"
    assert (await app.say(marketer, "/invite NOPE")).text == "No customer with code NOPE."
    none = await app.say(marketer, "/invite XYZ001")
    assert none.text == "No contacts Ltd has no contacts yet; add one first."
    missing = await app.say(marketer, "/invite NBF777 Nobody")
    assert missing.text == "宁波远洋货代有限公司 has no contact named Nobody."


async def test_operations_staff_and_customers_cannot_make_invites(app: RunningBot) -> None:
    primary_id, _ = await _port(app)
    operations = app.user(9302, language_code="en")
    assert (await app.say(operations, "/invite NBF777")).text == NOT_AVAILABLE
    async with app.db.session() as session:
        contact = await session.get(Contact, primary_id)
        assert contact is not None
        contact.telegram_user_id = 9402
        await session.commit()
    customer = app.user(9402, language_code="en")
    assert (await app.say(customer, "/invite NBF777")).text == NOT_AVAILABLE
    # a forged invite button from a customer changes nothing either
    menu = await app.say(customer, "/language")
    update = app.sandbox.press_data(TOKEN, customer, menu, f"invc:{primary_id}")
    answer = await app.sandbox.wait_for_answer(update)
    assert answer.text == "This button is no longer valid."
