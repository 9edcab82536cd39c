"""The operations desk in chat: a cargo event in one line or step by step, a file of events, and who may."""

from __future__ import annotations

from sqlalchemy import func, select

from portcrm.enums import CargoEventType, Role
from portcrm.i18n import gettext_for
from portcrm.labels import CARGO_EVENT_NAMES
from portcrm.models import CargoEvent, ShipmentSubscription
from tests.factories import make_contact, make_customer, make_shipment, make_staff
from tests.harness import TOKEN, RunningBot

NOT_AVAILABLE = "I don't know that command, or it is not available to you. Send /help to see what I can do."
STALE = "This button is no longer valid."
BL = "NGBOPS000001"


async def _port(app: RunningBot) -> None:
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=7201, name="赵操作", roles=(Role.OPERATIONS,))
        await make_staff(session, telegram_user_id=7202, name="钱会计", roles=(Role.FINANCE,))
        customer = await make_customer(session)
        contact = await make_contact(session, customer, telegram_user_id=7203, locale="zh_CN")
        shipment = await make_shipment(session, customer, bl_number=BL)
        session.add(ShipmentSubscription(contact_id=contact.id, shipment_id=shipment.id))
        await session.commit()


async def _events(app: RunningBot) -> int:
    async with app.db.session() as session:
        count = await session.scalar(select(func.count()).select_from(CargoEvent))
        await session.commit()
        return int(count or 0)


async def test_an_event_from_chat_is_pushed_to_the_subscriber(app: RunningBot) -> None:
    await _port(app)
    operator = app.user(7201, language_code="zh-hans")
    subscriber = app.user(7203, language_code="zh-hans")
    await app.say(subscriber, "/start")
    _zh = gettext_for("zh_CN")
    mark = app.sandbox.mark()
    reply = await app.say(operator, f"/event {BL} gate_in 2026-11-20 08:30 三号堆场")
    assert _zh(CARGO_EVENT_NAMES[CargoEventType.GATE_IN]) in reply.text
    push = await app.sandbox.wait_for_reply(subscriber, after=mark, token=TOKEN)
    assert push.text is not None
    assert _zh(CARGO_EVENT_NAMES[CargoEventType.GATE_IN]) in push.text
    assert "三号堆场" in push.text
    again = await app.say(operator, f"/event {BL} gate_in 2026-11-20 08:30 三号堆场")
    assert again.text.startswith(_zh("Not recorded: {reason}").split("{")[0])
    assert await _events(app) == 1


async def test_the_event_form_asks_step_by_step(app: RunningBot) -> None:
    await _port(app)
    operator = app.user(7201, language_code="en")
    await app.say(operator, "/event")
    types = await app.say(operator, BL)
    update = app.sandbox.press(TOKEN, operator, types, "Loaded on the vessel")
    await app.handled(update)
    settled, prompt = sorted(app.sandbox.replies(operator, update, token=TOKEN), key=lambda m: m.message_id)
    assert settled.text == "Event: Loaded on the vessel"
    assert prompt.text.startswith("When, on the port's clock?")
    place = await app.press(operator, prompt, "Now")
    done = await app.press(operator, place, "Skip")
    assert done.text is not None
    assert done.text.startswith("Recorded: Loaded on the vessel for NGBOPS000001")
    assert await _events(app) == 1


async def test_a_bad_file_writes_nothing_and_lists_its_rows(app: RunningBot) -> None:
    await _port(app)
    operator = app.user(7201, language_code="en")
    bad = (
        "reference,event_type,occurred_at\n"
        f"{BL},gate_in,2026-11-20 08:00\n"
        f"{BL},sailed_away,2026-11-20 09:00\n"
        "NOSUCHBL0001,loaded,2026-11-20 10:00\n"
    ).encode()
    update = app.sandbox.send_document(TOKEN, operator, bad, "events.csv", caption="/events")
    reply = await app.sandbox.wait_for_reply(operator, after=update, token=TOKEN)
    assert reply.text is not None
    lines = reply.text.splitlines()
    assert lines[0] == "Nothing was imported: fix these rows and send the file again."
    assert [line.split(":")[0] for line in lines[1:]] == ["Row 3", "Row 4"]
    assert await _events(app) == 0
    await app.say(operator, "/events")
    good = f"reference,event_type,occurred_at,location\n{BL},gate_in,2026-11-20 08:00,Yard\n".encode()
    update = app.sandbox.send_document(TOKEN, operator, good, "events.csv")
    reply = await app.sandbox.wait_for_reply(operator, after=update, token=TOKEN)
    assert reply.text == "Imported 1 row(s): 1 new, 0 updated, 0 unchanged."
    assert await _events(app) == 1


async def test_finance_staff_and_customers_are_refused_and_nothing_changes(app: RunningBot) -> None:
    await _port(app)
    for user_id, locale, language in ((7202, "en", "en"), (7203, "zh_CN", "zh-hans")):
        user = app.user(user_id, language_code=language)
        for command in (f"/event {BL} gate_in", "/events"):
            assert (await app.say(user, command)).text == gettext_for(locale)(NOT_AVAILABLE), command
        menu = await app.say(user, "/language")
        for data in ("oet:gate_in", "onow", "oskp"):
            update = app.sandbox.press_data(TOKEN, user, menu, data)
            assert (await app.sandbox.wait_for_answer(update)).text == gettext_for(locale)(STALE), data
    assert await _events(app) == 0
