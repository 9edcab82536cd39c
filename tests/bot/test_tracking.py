"""Cargo status in the chat: /track, a pasted number, /shipments, and pushed updates for subscribers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.ui.callbacks.tracking import ShipmentOpen
from portcrm.enums import CargoEventType, ShipmentDirection
from portcrm.i18n import gettext_for
from portcrm.labels import CARGO_EVENT_NAMES
from portcrm.models import CargoEvent, Container, Notification, ShipmentSubscription
from portcrm.services.tracking.events import record_cargo_event
from portcrm.services.tracking.pushes import open_shipment_data
from portcrm.services.tracking.shipments import ShipmentNotFound
from tests.factories import container_number, make_contact, make_customer, make_shipment, make_staff
from tests.harness import TOKEN, RunningBot

PORT_TZ = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC)  # 09:30 in Asia/Shanghai, the port's clock
BOX = container_number("MSKU", 123456)
THEIR_BOX = container_number("CSNU", 654321)
NOT_YOURS = ShipmentNotFound.message


@dataclass
class Port:
    shipment_id: int
    their_shipment_id: int
    staff_id: int


async def _port(app: RunningBot) -> Port:
    """Our company (contacts 8001 en, 8002 zh_CN, 8003 zh_TW) with one import on hold, and another company."""
    async with app.db.session() as session:
        ours = await make_customer(session)
        for user_id in (8001, 8002, 8003):
            await make_contact(session, ours, telegram_user_id=user_id, is_primary=user_id == 8001)
        shipment = await make_shipment(
            session,
            ours,
            bl_number="OOLU2741538960",
            booking_ref="BKG2611009",
            direction=ShipmentDirection.IMPORT,
            cargo_description="Auto parts <brake discs>",
            vessel_name="COSCO ARIES",
            voyage="078E",
            port_of_loading="Hamburg",
            port_of_discharge="Ningbo",
            eta=AT,
            status=CargoEventType.CUSTOMS_HOLD,
            customs_hold=True,
            containers=[Container(number=BOX, size_type="40HC")],
        )
        session.add(
            CargoEvent(
                shipment_id=shipment.id,
                event_type=CargoEventType.CUSTOMS_HOLD,
                occurred_at=AT,
                location="查验场",
            )
        )
        theirs = await make_shipment(
            session,
            await make_customer(session),
            bl_number="COSU6389012450",
            containers=[Container(number=THEIR_BOX)],
        )
        staff = await make_staff(session)
        await session.commit()
        return Port(shipment.id, theirs.id, staff.id)


async def test_track_shows_the_status_card_by_bl_booking_or_container_in_each_language(
    app: RunningBot,
) -> None:
    port = await _port(app)
    cases = (
        (8001, "en", "/track OOLU2741538960", "Mar 1, 2026, 09:30"),
        (8002, "zh-hans", "/track bkg2611009", "2026年3月1日 09:30"),
        (8003, "zh-hant", f"/track {BOX[:4].lower()} {BOX[4:10]}-{BOX[10]}", "2026年3月1日 09:30"),
    )
    for user_id, language_code, command, port_time in cases:
        card = await app.say(app.user(user_id, language_code=language_code), command)
        _ = gettext_for({"en": "en", "zh-hans": "zh_CN", "zh-hant": "zh_TW"}[language_code])
        assert card.text is not None
        assert "OOLU2741538960" in card.text
        assert "Auto parts <brake discs>" in card.text, "escaped in HTML, shown as typed"
        assert "COSCO ARIES 078E" in card.text
        assert f"{BOX} (40HC)" in card.text
        assert _(CARGO_EVENT_NAMES[CargoEventType.CUSTOMS_HOLD]) in card.text
        assert _("Customs hold: the cargo cannot leave until customs release it.") in card.text
        assert _("ETA: {time}").format(time=port_time) in card.text
        assert "01:30" not in card.text, "times are on the port's clock, not UTC"
        assert card.buttons == [[("🔔 " + _("Subscribe to updates"), f"trks:{port.shipment_id}:1")]]


async def test_a_number_pasted_alone_gets_the_card_and_other_chat_the_usual_reply(app: RunningBot) -> None:
    await _port(app)
    user = app.user(8001, language_code="en")
    card = await app.say(user, f"  {BOX}  ")
    assert card.text is not None
    assert "OOLU2741538960" in card.text
    chat = await app.say(user, "hello, where is my cargo?")
    assert chat.text == "Sorry, I didn't understand that. Send /help to see what I can do."
    usage = await app.say(user, "/track")
    assert usage.text is not None
    assert usage.text.startswith("Send the B/L, booking or container number")


async def test_another_companys_numbers_and_buttons_get_the_same_reply_as_missing_ones(
    app: RunningBot,
) -> None:
    port = await _port(app)
    user = app.user(8002, language_code="zh-hans")
    expected = gettext_for("zh_CN")(NOT_YOURS)
    for attempt in (
        "/track COSU6389012450",
        f"/track {THEIR_BOX}",
        "/track COSU0000000000",
        "COSU6389012450",
    ):
        reply = await app.say(user, attempt)
        assert reply.text == expected, attempt
    card = await app.say(user, "/track OOLU2741538960")
    for forged in (f"trk:{port.their_shipment_id}", f"trks:{port.their_shipment_id}:1", "trk:99999999"):
        answer = await app.sandbox.wait_for_answer(app.sandbox.press_data(TOKEN, user, card, forged))
        assert (answer.text, answer.show_alert) == (expected, True), forged
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ShipmentSubscription)) == 0
    stale = await app.sandbox.wait_for_answer(app.sandbox.press_data(TOKEN, user, card, "trkp:99"))
    assert stale.text == gettext_for("zh_CN")("This button is no longer valid.")


async def test_shipments_come_eight_to_a_page_turned_in_place(app: RunningBot) -> None:
    async with app.db.session() as session:
        ours = await make_customer(session)
        await make_contact(session, ours, telegram_user_id=8101)
        for n in range(10):
            await make_shipment(
                session,
                ours,
                bl_number=f"LIST{n:06d}",
                eta=AT + dt.timedelta(days=n),
                vessel_name="EVER GIVEN",
            )
        await make_shipment(session, ours, bl_number="DONE00000001", completed=True)
        await make_shipment(session, await make_customer(session), bl_number="THEIRS000001")
        await session.commit()
    user = app.user(8101, language_code="zh-hant")
    _ = gettext_for("zh_TW")
    first = await app.say(user, "/shipments")
    assert first.text is not None
    assert all(f"LIST{n:06d}" in first.text for n in range(8))
    assert "LIST000008" not in first.text
    assert "DONE00000001" not in first.text
    assert "THEIRS" not in first.text
    assert _("page {page} of {pages}").format(page=1, pages=2) in first.text
    labels = [label for row in first.buttons for label, _data in row]
    assert labels == [f"{n + 1}. LIST{n:06d}" for n in range(8)] + ["▶"]

    second = await app.press(user, first, "▶")

    assert (second.message_id, second.edited) == (first.message_id, True)
    assert second.text is not None
    assert "LIST000009" in second.text
    assert "LIST000000" not in second.text
    assert [label for row in second.buttons for label, _data in row] == [
        "9. LIST000008",
        "10. LIST000009",
        "◀",
    ]
    back = await app.press(user, second, "◀")
    assert back.text == first.text
    card = await app.press(user, back, "1. LIST000000")
    assert card.message_id != first.message_id
    assert card.text is not None
    assert card.text.startswith("📦 LIST000000")


async def test_a_subscriber_is_told_of_each_new_event_and_others_are_not(app: RunningBot) -> None:
    port = await _port(app)
    subscriber, bystander = app.user(8003, language_code="zh-hant"), app.user(8001, language_code="en")
    await app.say(bystander, "/start")
    _ = gettext_for("zh_TW")
    card = await app.say(subscriber, "/track OOLU2741538960")
    subscribed = await app.press(subscriber, card, 0)
    assert subscribed.message_id == card.message_id
    assert subscribed.text is not None
    assert _("You get a message for every new event of this shipment.") in subscribed.text
    assert subscribed.buttons[0][0][0] == "🔕 " + _("Unsubscribe")

    mark = app.sandbox.mark()
    async with app.db.session() as session:
        await record_cargo_event(
            session,
            "OOLU2741538960",
            CargoEventType.CUSTOMS_RELEASED,
            AT + dt.timedelta(hours=2),
            "查验场",
            staff_id=port.staff_id,
            tz=PORT_TZ,
            default_locale="zh_CN",
        )
    push = await app.sandbox.wait_for_reply(subscriber, after=mark, token=TOKEN)
    assert push.text is not None
    assert _(CARGO_EVENT_NAMES[CargoEventType.CUSTOMS_RELEASED]) in push.text
    assert "2026年3月1日 11:30" in push.text
    assert push.buttons == [[(_("Open"), open_shipment_data(port.shipment_id))]]
    opened = await app.press(subscriber, push, _("Open"))
    assert opened.text is not None
    assert opened.text.startswith("📦 OOLU2741538960")
    assert _("Customs hold: the cargo cannot leave until customs release it.") not in opened.text
    async with app.db.session() as session:
        chats = list(await session.scalars(select(Notification.chat_id)))
    assert chats == [8003], "only the subscriber is told"

    unsubscribed = await app.press(subscriber, opened, "🔕 " + _("Unsubscribe"))
    assert unsubscribed.buttons[0][0][0] == "🔔 " + _("Subscribe to updates")
    async with app.db.session() as session:
        await record_cargo_event(
            session,
            BOX,
            "discharged",
            AT + dt.timedelta(hours=3),
            staff_id=port.staff_id,
            tz=PORT_TZ,
            default_locale="zh_CN",
        )
        assert await session.scalar(select(func.count()).select_from(Notification)) == 1


async def test_a_crowded_card_stays_within_telegram_limits(app: RunningBot) -> None:
    async with app.db.session() as session:
        ours = await make_customer(session)
        await make_contact(session, ours, telegram_user_id=8201)
        shipment = await make_shipment(
            session,
            ours,
            bl_number="BIG0000000001",
            cargo_description="<&>" * 166,
            vessel_name="V" * 100,
            voyage="9" * 32,
            containers=[Container(number=container_number("BIGU", n)) for n in range(30)],
        )
        for hour in range(12):
            session.add(
                CargoEvent(
                    shipment_id=shipment.id,
                    event_type=CargoEventType.GATE_IN,
                    occurred_at=AT + dt.timedelta(hours=hour),
                    location="码头" * 50,
                    container_number=container_number("BIGU", hour),
                )
            )
        await session.commit()
    card = await app.say(app.user(8201, language_code="en"), "/track BIG0000000001")
    assert card.text is not None
    assert len(card.text) <= 4096
    assert "… and 10 more" in card.text
    assert "(2 earlier events not shown)" in card.text


def test_the_cores_open_button_is_the_chats_open_button() -> None:
    assert ShipmentOpen(shipment_id=4711).pack() == open_shipment_data(4711)
