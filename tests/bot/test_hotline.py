"""The hotline through the real bot: a colleague logs a complaint taken by phone, and it joins the desk."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from bot.ui.callbacks.hotline import PhoneComplaintStart
from portcrm.enums import CargoEventType, ComplaintCategory, ComplaintChannel, Role
from portcrm.i18n import gettext_for
from portcrm.models import Complaint, ComplaintEvent, Notification
from sandbox import SandboxUser, SentMessage
from tests.factories import make_contact, make_customer, make_shipment, make_staff
from tests.harness import TOKEN, RunningBot, running_bot

MARKET, OPERATIONS, CALLER, OTHER_CALLER = 9301, 9302, 9310, 9311
_ = gettext_for("en")


async def _port(app: RunningBot) -> tuple[int, int, int]:
    """A company with a linked contact and a shipment, another company's contact, and two colleagues."""
    async with app.db.session() as session:
        await make_staff(session, name="市场部 李娜", telegram_user_id=MARKET, roles=(Role.MARKET,))
        await make_staff(session, name="运营部 张伟", telegram_user_id=OPERATIONS, roles=(Role.OPERATIONS,))
        customer = await make_customer(session, name="青岛热线测试货代有限公司", code="QD900")
        contact = await make_contact(
            session, customer, name="赵敏", title="操作经理", telegram_user_id=CALLER
        )
        await make_shipment(
            session,
            customer,
            bl_number="QDHL000123",
            vessel_name="COSCO TAURUS",
            voyage="01E",
            status=CargoEventType.DISCHARGED,
            eta=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        )
        other = await make_customer(session, name="另一家货代有限公司", code="QD901")
        stranger = await make_contact(session, other, name="孙强", telegram_user_id=OTHER_CALLER)
        await session.commit()
        return customer.id, contact.id, stranger.id


async def _press(app: RunningBot, user: SandboxUser, message: SentMessage, button: str) -> SentMessage:
    """Press a button and return the bot's newest message in that chat once the press is handled."""
    update = app.sandbox.press(TOKEN, user, message, button)
    await app.handled(update)
    replies = [
        m for m in app.sandbox.replies(user, update, token=TOKEN) if m.message_id != message.message_id
    ]
    return replies[-1]


async def test_a_call_logged_from_the_card_files_one_phone_complaint_and_tells_the_caller(
    app: RunningBot,
) -> None:
    customer_id, contact_id, _stranger = await _port(app)
    market, caller = app.user(MARKET), app.user(CALLER)
    await app.say(caller, "/start")  # a chat the bot may write to
    card = await app.say(market, "/find QD900")  # the code's one match: its card at once
    who = await _press(app, market, card, "☎ " + _("Phone complaint"))
    assert "青岛热线测试货代有限公司" in who.text
    assert _("Who called?") in who.text
    category = await _press(app, market, who, "赵敏 · 操作经理")
    shipment = await _press(app, market, category, _("Cargo damage"))
    assert _("Which shipment is it about?") in shipment.text
    describe = await _press(app, market, shipment, "QDHL000123 · COSCO TAURUS 01E")
    summary = await app.say(market, "客户来电：两箱货物外包装破损，要求查验并赔偿。")
    assert _("Caller: {caller}").format(caller="赵敏") in summary.text
    assert "QDHL000123" in summary.text
    assert "来电" in summary.text
    first = app.sandbox.press(TOKEN, market, summary, _("Log it"))
    again = app.sandbox.press(TOKEN, market, summary, _("Log it"))
    answers = await asyncio.gather(app.sandbox.wait_for_answer(first), app.sandbox.wait_for_answer(again))
    await app.settled()

    async with app.db.session() as session:
        [complaint] = (await session.scalars(select(Complaint))).all()
        created = await session.scalar(select(ComplaintEvent).where(ComplaintEvent.kind == "created"))
        staff_id = created.staff_id if created else None
        told = await session.scalar(select(Notification).where(Notification.chat_id == CALLER))
    assert complaint.channel == ComplaintChannel.PHONE
    assert (complaint.customer_id, complaint.contact_id) == (customer_id, contact_id)
    assert complaint.category == ComplaintCategory.CARGO_DAMAGE
    assert complaint.shipment_id is not None
    assert staff_id is not None  # the colleague who took the call
    logged = _("Complaint {ticket} logged.").format(ticket=complaint.ticket)
    assert [a.text for a in answers] == [logged, logged]
    assert told is not None  # the caller has the reference in chat
    assert complaint.ticket in told.text
    assert any(complaint.ticket in m.text for m in app.sandbox.messages(caller))
    assert describe.text  # asked for the caller's words


async def test_only_the_hotline_roles_see_the_button_and_a_forged_press_changes_nothing(
    app: RunningBot,
) -> None:
    customer_id, _contact, _stranger = await _port(app)
    operations = app.user(OPERATIONS)
    card = await app.say(operations, "/find QD900")
    labels = [b["text"] for row in (card.reply_markup or {}).get("inline_keyboard", []) for b in row]
    assert "☎ " + _("Phone complaint") not in labels
    forged = app.sandbox.press_data(
        TOKEN, operations, card, PhoneComplaintStart(customer_id=customer_id).pack()
    )
    await app.handled(forged)
    await app.settled()
    async with app.db.session() as session:
        assert (await session.scalars(select(Complaint))).all() == []
    assert not any(_("Who called?") in m.text for m in app.sandbox.messages(operations))


async def test_another_companys_contact_cannot_be_named_as_the_caller(app: RunningBot) -> None:
    from bot.ui.callbacks.hotline import PhoneCaller

    _customer, _contact, stranger_id = await _port(app)
    market = app.user(MARKET)
    card = await app.say(market, "/find QD900")
    who = await _press(app, market, card, "☎ " + _("Phone complaint"))
    forged = app.sandbox.press_data(TOKEN, market, who, PhoneCaller(contact_id=stranger_id).pack())
    refusal = await app.sandbox.wait_for_answer(forged)
    assert refusal.text == _("That contact is not one of this company's contacts.")
    await app.settled()
    async with app.db.session() as session:
        assert (await session.scalars(select(Complaint))).all() == []


async def test_services_shows_the_hotline_and_the_mailbox_from_settings(database_url: str) -> None:
    async with running_bot(
        database_url, hotline="+86 532 8298 2000", complaint_address="complaints@port.example"
    ) as app:
        reply = await app.say(app.user(CALLER, language_code="zh-hans"), "/services")
    zh = gettext_for("zh_CN")
    assert (
        zh("Hotline for questions and complaints: {number}").format(number="+86 532 8298 2000") in reply.text
    )
    assert zh("Complaint mailbox: {address}").format(address="complaints@port.example") in reply.text
