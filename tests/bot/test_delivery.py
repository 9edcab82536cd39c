"""The outbox is delivered through the Bot API: once, in order, with Telegram's refusals handled."""

from __future__ import annotations

import asyncio
import html
import re
import time

import pytest
from sqlalchemy import select

from portcrm.enums import NotificationStatus, Role
from portcrm.i18n import gettext_for
from portcrm.messaging import outbox
from portcrm.models import ChatUser, Notification
from portcrm.services.recipients.reachability import ALERT, ALERT_KIND, ALERT_PHONE
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot, running_bot

WAIT = 30.0  # seconds the bot may take on a loaded machine: a bound for a stuck bot, not its pace


async def _wait_for_status(app: RunningBot, key: str, status: NotificationStatus) -> Notification:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        async with app.db.session() as session:
            row = await session.scalar(select(Notification).where(Notification.idempotency_key == key))
            await session.commit()
        if row is not None and row.status == status:
            return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"{key} never became {status}")


async def test_a_notification_is_delivered_once_with_its_buttons(app: RunningBot) -> None:
    user = app.user(6001, language_code="en")
    await app.say(user, "/start")
    mark = app.sandbox.mark()
    async with app.db.session() as session:
        keyboard = outbox.inline_keyboard([("Open", "noop:1")])
        assert await outbox.enqueue(
            session, key="k1", kind="test", chat_id=6001, text="<b>Hi</b>", reply_markup=keyboard
        )
        assert not await outbox.enqueue(session, key="k1", kind="test", chat_id=6001, text="again")
        await session.commit()
    row = await _wait_for_status(app, "k1", NotificationStatus.SENT)
    pushed = app.sandbox.replies(user, mark, token=TOKEN)
    assert [m.text for m in pushed] == ["Hi"]
    assert pushed[0].buttons == [[("Open", "noop:1")]]
    assert row.telegram_message_id == pushed[0].message_id


async def test_a_blocked_user_is_parked_and_a_server_error_is_retried(app: RunningBot) -> None:
    blocked = app.user(6002, language_code="en")
    await app.say(blocked, "/start")
    app.sandbox.block(blocked, TOKEN)
    other = app.user(6003, language_code="en")
    await app.say(other, "/start")
    app.sandbox.faults.add(method="sendMessage", status=500, times=1, chat_id=6003)
    async with app.db.session() as session:
        await outbox.enqueue(session, key="blocked", kind="test", chat_id=6002, text="x")
        await outbox.enqueue(session, key="flaky", kind="test", chat_id=6003, text="y")
        await session.commit()
    await _wait_for_status(app, "blocked", NotificationStatus.PARKED)
    async with app.db.session() as session:
        flaky = await session.scalar(select(Notification).where(Notification.idempotency_key == "flaky"))
        await session.commit()
        assert flaky is not None
        flaky.next_attempt_at = flaky.created_at  # skip the back-off wait
        session.add(flaky)
        await session.commit()
    sent = await _wait_for_status(app, "flaky", NotificationStatus.SENT)
    assert sent.attempts == 2


async def _blocked_at(app: RunningBot, user_id: int) -> object:
    async with app.db.session() as session:
        user = await session.get(ChatUser, user_id)
        await session.commit()
    return user.blocked_at if user else None


async def _until_blocked(app: RunningBot, user_id: int, *, blocked: bool) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if (await _blocked_at(app, user_id) is not None) == blocked:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"blocked_at of {user_id} never became {'set' if blocked else 'empty'}")


async def _enqueue(app: RunningBot, key: str, chat_id: int, text: str) -> None:
    async with app.db.session() as session:
        await outbox.enqueue(session, key=key, kind="test", chat_id=chat_id, text=text)
        await session.commit()


async def test_a_key_contact_who_blocks_the_bot_is_parked_their_manager_told_once_until_they_return(
    app: RunningBot,
) -> None:
    async with app.db.session() as session:
        manager = await make_staff(session, name="李经理", telegram_user_id=6102, roles=(Role.MARKET,))
        customer = await make_customer(session, name="宁波<阻断>货代", account_manager_id=manager.id)
        contact = await make_contact(
            session, customer, name="王芳", telegram_user_id=6101, is_primary=True, phone="+8613800000001"
        )
        await session.commit()
    user, staff = app.user(6101, language_code="en"), app.user(6102, language_code="en")
    await app.say(user, "/start")
    await app.say(staff, "/start")
    staff_mark = app.sandbox.mark()
    app.sandbox.block(user, TOKEN, notify=False)  # the sender finds out from the 403

    await _enqueue(app, "b1", 6101, "first")
    await _enqueue(app, "b2", 6101, "second")
    await _wait_for_status(app, "b1", NotificationStatus.PARKED)
    await _wait_for_status(app, "b2", NotificationStatus.PARKED)
    assert await _blocked_at(app, 6101) is not None
    alert = await app.sandbox.wait_for_reply(staff, after=staff_mark, token=TOKEN)
    _en = gettext_for("en")
    assert alert.text == "\n".join(
        [
            _en(ALERT).format(contact="王芳", company="宁波<阻断>货代"),
            _en(ALERT_PHONE).format(phone="+8613800000001"),
        ]
    )
    assert html.escape("宁波<阻断>货代") in (alert.html or "")

    tries = len([c for c in app.sandbox.calls_to("sendMessage") if int(c.params["chat_id"]) == 6101])
    await _enqueue(app, "b3", 6101, "while away")
    await _wait_for_status(app, "b3", NotificationStatus.PARKED)
    assert len([c for c in app.sandbox.calls_to("sendMessage") if int(c.params["chat_id"]) == 6101]) == tries

    mark = app.sandbox.mark()
    app.sandbox.unblock(user, TOKEN)  # my_chat_member: member again; what was parked follows, in order
    await _until_blocked(app, 6101, blocked=False)
    await _enqueue(app, "b4", 6101, "welcome back")
    await _wait_for_status(app, "b4", NotificationStatus.SENT)
    for key in ("b1", "b2", "b3"):
        await _wait_for_status(app, key, NotificationStatus.SENT)
    assert [m.text for m in app.sandbox.replies(user, mark, token=TOKEN)] == [
        "first",
        "second",
        "while away",
        "welcome back",
    ]

    app.sandbox.block(user, TOKEN)  # my_chat_member: kicked, the same day
    await _until_blocked(app, 6101, blocked=True)
    async with app.db.session() as session:
        alerts = list(await session.scalars(select(Notification).where(Notification.kind == ALERT_KIND)))
        await session.commit()
    assert [(a.chat_id, a.idempotency_key.split(":")[1]) for a in alerts] == [(6102, str(contact.id))]


@pytest.mark.parametrize(("locale", "language_code"), [("zh_CN", "zh-hans"), ("en", "en")])
async def test_an_alert_to_staff_who_never_started_the_bot_waits_for_them_and_arrives_once_in_order(
    database_url: str, locale: str, language_code: str
) -> None:
    """Regression: an alert to a staff member who had never written to the bot was marked unreachable
    ("chat not found") and lost; it must reach them once they start the bot."""
    async with running_bot(database_url, default_locale=locale) as app:
        async with app.db.session() as session:
            manager = await make_staff(session, name="孙经理", telegram_user_id=6301, roles=(Role.MARKET,))
            customer = await make_customer(session, name="宁波未启货代", account_manager_id=manager.id)
            await make_contact(session, customer, name="王芳", telegram_user_id=6302)
            await session.commit()
            manager_id = manager.id
        asker = app.user(6302, language_code=language_code)
        await app.say(asker, "/ask 柜子什么时候可以提？")  # alerts the manager, who has never opened the bot
        key = await _inquiry_alert_key(app, manager_id)
        await _wait_for_status(app, key, NotificationStatus.PARKED)
        await _enqueue(app, "later", 6301, "a later alert")  # parked without trying: they are not there yet
        await _wait_for_status(app, "later", NotificationStatus.PARKED)
        tries = [c for c in app.sandbox.calls_to("sendMessage") if int(c.params["chat_id"]) == 6301]
        assert [c.error for c in tries] == ["Bad Request: chat not found"]

        staff = app.user(6301, "孙经理", language_code=language_code)
        mark = app.sandbox.mark()
        greeting = await app.say(staff, "/start")
        await _wait_for_status(app, key, NotificationStatus.SENT)
        await _wait_for_status(app, "later", NotificationStatus.SENT)
        await app.settled()
        _ = gettext_for(locale)
        pushed = app.sandbox.replies(staff, mark, token=TOKEN)
        alerts = [m.text or "" for m in pushed if m.message_id != greeting.message_id]
        assert len(alerts) == 2, alerts
        assert alerts[0].startswith(re.sub(r"</?b>", "", _("<b>Question from a customer</b>")))
        assert "柜子什么时候可以提？" in alerts[0]
        assert alerts[1] == "a later alert", "in the order they were written, each once"


async def _inquiry_alert_key(app: RunningBot, staff_id: int) -> str:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        async with app.db.session() as session:
            key = await session.scalar(
                select(Notification.idempotency_key).where(
                    Notification.kind == "inquiry", Notification.staff_id == staff_id
                )
            )
            await session.commit()
        if key is not None:
            return key
        await asyncio.sleep(0.05)
    raise AssertionError("the inquiry alert was never written")
