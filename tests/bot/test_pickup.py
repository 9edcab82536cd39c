"""'Can I pick up?' on the status card, and the push the moment a box becomes available, in the chat."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from portcrm.enums import CargoEventType as T
from portcrm.enums import ShipmentDirection
from portcrm.i18n import gettext_for
from portcrm.models import Container
from portcrm.services.tracking.feed_events import FeedEvent, ingest_feed_events
from portcrm.services.tracking.pushes import open_shipment_data
from tests.factories import container_number, make_contact, make_customer, make_shipment
from tests.harness import TOKEN, RunningBot

PORT_TZ = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
BL = "COSU6301112220"
BOX, OTHER_BOX = container_number("TGHU", 881122), container_number("TGHU", 881133)


async def _import_shipment(app: RunningBot) -> int:
    async with app.db.session() as session:
        customer = await make_customer(session)
        await make_contact(session, customer, telegram_user_id=8601)
        shipment = await make_shipment(
            session,
            customer,
            bl_number=BL,
            direction=ShipmentDirection.IMPORT,
            containers=[
                Container(number=BOX, size_type="45G1"),
                Container(number=OTHER_BOX, size_type="22R1"),
            ],
        )
        await session.commit()
        return shipment.id


async def _feed(app: RunningBot, *events: tuple[T, int, str]) -> None:
    """Events (type, hours after AT, box or "" for the B/L) as a carrier's feed reports them."""
    batch = [
        FeedEvent(
            source="dcsa:test",
            event_id=f"{kind}-{hours}-{box}",
            event_type=kind,
            occurred_at=AT + dt.timedelta(hours=hours),
            container_number=box,
            references=() if box else (BL,),
        )
        for kind, hours, box in events
    ]
    async with app.db.session() as session:
        await ingest_feed_events(
            session, batch, tz=PORT_TZ, default_locale="zh_CN", eta_change=dt.timedelta(hours=6)
        )


async def test_the_card_says_what_holds_each_box_and_the_subscriber_is_told_when_it_can_go(
    app: RunningBot,
) -> None:
    shipment_id = await _import_shipment(app)
    user = app.user(8601, language_code="zh-hans")
    _ = gettext_for("zh_CN")
    await _feed(app, (T.DISCHARGED, 0, BOX), (T.CUSTOMS_HOLD, 1, ""))
    card = await app.say(user, f"/track {BL}")
    assert card.text is not None
    assert _("Can I pick up?") in card.text
    held = _("held ({holds})").format(holds=_("customs hold"))
    assert "⛔ " + _("{state}: {containers}").format(state=held, containers=BOX) in card.text
    on_board = _("{state}: {containers}").format(state=_("not discharged yet"), containers=OTHER_BOX)
    assert "🚢 " + on_board in card.text
    await app.press(user, card, 0)  # subscribe
    mark = app.sandbox.mark()
    await _feed(app, (T.CARRIER_HOLD, 2, ""))
    held = await app.sandbox.wait_for_reply(user, after=mark, token=TOKEN)
    assert held.text is not None
    assert _("Carrier hold") in held.text
    assert _("The cargo cannot be picked up until this hold is lifted.") in held.text

    mark = app.sandbox.mark()
    await _feed(app, (T.CUSTOMS_RELEASED, 3, ""), (T.CARRIER_RELEASED, 4, ""))  # after the hold
    pushes = []
    ready_title = _("<b>Ready for pick-up</b> · {reference}").format(reference=BL).replace("<b>", "")
    while not any(ready_title.replace("</b>", "") in (p.text or "") for p in pushes):
        pushes.append(await app.sandbox.wait_for_reply(user, after=mark, token=TOKEN))
        mark = app.sandbox.mark()
    ready = pushes[-1]
    assert ready.text is not None
    assert BOX in ready.text
    assert OTHER_BOX not in ready.text, "still on board"
    assert ready.buttons == [[(_("Open"), open_shipment_data(shipment_id))]]
    opened = await app.press(user, ready, _("Open"))
    assert opened.text is not None
    available = _("{state}: {containers}").format(state=_("available for pick-up"), containers=BOX)
    assert "✅ " + available in opened.text


async def test_an_export_card_asks_nothing_about_pick_up(app: RunningBot) -> None:
    async with app.db.session() as session:
        customer = await make_customer(session)
        await make_contact(session, customer, telegram_user_id=8602)
        await make_shipment(session, customer, bl_number="EXP0000000077", direction=ShipmentDirection.EXPORT)
        await session.commit()
    card = await app.say(app.user(8602, language_code="en"), "/track EXP0000000077")
    assert card.text is not None
    assert "Can I pick up?" not in card.text
