"""/privacy: a person sees only their own data, changes their consents, and asks for deletion once."""

from __future__ import annotations

from sqlalchemy import func, select

from portcrm.enums import Role
from portcrm.i18n import gettext_for
from portcrm.models import AuditEntry, Contact, Notification, PrivacyRequest
from portcrm.services.privacy.rights import DELETION_ALERT
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot

REQUESTED = (
    "Your request to delete your personal data has been recorded. "
    "The port will handle it within 15 working days and let you know."
)


async def _company(app: RunningBot, telegram_user_id: int) -> tuple[int, int]:
    """A company with the linked person and a colleague; returns both contact ids."""
    async with app.db.session() as session:
        customer = await make_customer(session, name="宁波隐私货代有限公司")
        me = await make_contact(
            session,
            customer,
            name="王芳",
            title="Logistics <manager>",
            phone="+8613812345678",
            email="wangfang@example.cn",
            telegram_user_id=telegram_user_id,
        )
        colleague = await make_contact(
            session, customer, name="李四", phone="+8613987654321", email="lisi@example.cn", is_primary=False
        )
        await session.commit()
        return me.id, colleague.id


async def test_privacy_shows_only_this_persons_data_with_the_phone_masked(app: RunningBot) -> None:
    await _company(app, 8101)
    reply = await app.say(app.user(8101, language_code="en"), "/privacy")
    text = reply.text or ""
    assert "Name: 王芳" in text
    assert "Title: Logistics <manager>" in text
    assert "Phone: +•••••••••5678" in text
    assert "8613812345678" not in text
    assert "Email: wangfang@example.cn" in text
    assert "Company: 宁波隐私货代有限公司" in text
    assert "Festival and birthday greetings: off" in text
    assert "Notices by e-mail instead of chat: off" in text
    assert "Chat language: English" in text
    for colleague in ("李四", "lisi@", "4321"):
        assert colleague not in text
    labels = [label for row in reply.buttons for label, _data in row]
    assert labels == [
        "⬜ Festival and birthday greetings",
        "⬜ News and offers",
        "⬜ Notices by e-mail instead of chat",  # the port has their address
        "Download a copy of my data (.xlsx)",
        "Request deletion of my data",
    ]


async def test_consents_are_granted_and_withdrawn_from_the_privacy_screen(app: RunningBot) -> None:
    me, colleague = await _company(app, 8111)
    user = app.user(8111, language_code="zh-hans")
    _ = gettext_for("zh_CN")
    screen = await app.say(user, "/privacy")
    screen = await app.press(user, screen, "⬜ " + _("News and offers"))
    assert _("News and offers: {value}").format(value=_("on")) in (screen.text or "")
    screen = await app.press(user, screen, "✅ " + _("News and offers"))
    assert _("News and offers: {value}").format(value=_("off")) in (screen.text or "")
    screen = await app.press(user, screen, "⬜ " + _("Festival and birthday greetings"))
    # an old button pressed again changes nothing and breaks nothing
    update = app.sandbox.press_data(TOKEN, user, screen, "cons:p:greetings:1")
    await app.sandbox.wait_for_answer(update)
    async with app.db.session() as session:
        mine = await session.get(Contact, me)
        theirs = await session.get(Contact, colleague)
        changes = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.entity_id == me, AuditEntry.action == "update", AuditEntry.actor == "telegram:8111"
            )
        )
        await session.commit()
    assert mine is not None
    assert theirs is not None
    assert (mine.consent_greetings, mine.consent_marketing) == (True, False)
    assert (theirs.consent_greetings, theirs.consent_marketing) == (False, False)
    assert changes == 3


async def test_a_deletion_request_is_recorded_once_and_alerts_admins(app: RunningBot) -> None:
    me, _colleague = await _company(app, 8121)
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=8131, roles=(Role.ADMIN,))
        await make_staff(session, telegram_user_id=8132, roles=(Role.MANAGER,))
        await make_staff(session, telegram_user_id=8133, roles=(Role.MARKET,))
        await session.commit()
    admin = app.user(8131, language_code="en")
    manager = app.user(8132, language_code="zh-hant")
    market = app.user(8133, language_code="en")
    for staff_user in (admin, manager, market):
        await app.say(staff_user, "/start")
    mark = app.sandbox.mark()

    user = app.user(8121, language_code="zh-hans")
    _ = gettext_for("zh_CN")
    screen = await app.say(user, "/privacy")
    confirm = await app.press(user, screen, _("Request deletion of my data"))
    assert [label for row in confirm.buttons for label, _data in row] == [
        _("Yes, request deletion"),
        _("Cancel"),
    ]
    done = await app.press(user, confirm, _("Yes, request deletion"))
    assert done.text == _(REQUESTED)
    assert "15" in done.text

    alert = await app.sandbox.wait_for_reply(admin, after=mark, token=TOKEN)
    assert (alert.text or "").startswith(_alert_title("en"))
    assert "王芳" in (alert.text or "")
    zh_tw_alert = await app.sandbox.wait_for_reply(manager, after=mark, token=TOKEN)
    assert (zh_tw_alert.text or "").startswith(_alert_title("zh_TW"))

    # asking again, even with a forged button, records nothing new and alerts no one again
    again = app.sandbox.press_data(TOKEN, user, screen, "pdel:ask")
    confirm_again = await app.sandbox.wait_for_reply(user, after=again, token=TOKEN)
    second = await app.press(user, confirm_again, _("Yes, request deletion"))
    assert _("Nothing new was recorded.") in (second.text or "")
    refreshed = await app.say(user, "/privacy")
    assert _("Request deletion of my data") not in [label for row in refreshed.buttons for label, _d in row]
    async with app.db.session() as session:
        requests = (await session.scalars(select(PrivacyRequest))).all()
        alerts = (await session.scalars(select(Notification.chat_id).order_by(Notification.chat_id))).all()
        contact = await session.get(Contact, me)
        await session.commit()
    assert [(r.contact_id, r.kind, r.handled_at) for r in requests] == [(me, "deletion", None)]
    assert alerts == [8131, 8132]
    assert app.sandbox.replies(market, mark, token=TOKEN) == []
    assert contact is not None
    assert contact.name == "王芳"
    assert contact.telegram_user_id == 8121, "nothing is deleted or unlinked yet"


async def test_cancelling_a_deletion_request_records_nothing(app: RunningBot) -> None:
    await _company(app, 8141)
    user = app.user(8141, language_code="en")
    screen = await app.say(user, "/privacy")
    confirm = await app.press(user, screen, "Request deletion of my data")
    cancelled = await app.press(user, confirm, "Cancel")
    assert cancelled.text == "Cancelled. Nothing was changed."
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PrivacyRequest)) == 0
        await session.commit()


async def test_privacy_buttons_are_refused_to_unlinked_users(app: RunningBot) -> None:
    user = app.user(8151, language_code="en")
    start = await app.say(user, "/start")
    for data in ("pdel:yes", "pdel:ask", "cons:p:greetings:1", "cons:n:marketing:1", "pnd"):
        answer = await app.sandbox.wait_for_answer(app.sandbox.press_data(TOKEN, user, start, data))
        assert answer.text == "This button is no longer valid.", data
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PrivacyRequest)) == 0
        await session.commit()


def _alert_title(locale: str) -> str:
    """The alert's first line as the recipient reads it (tags are gone once Telegram parsed the HTML)."""
    first = gettext_for(locale)(DELETION_ALERT).split("\n")[0]
    return first.removeprefix("<b>").removesuffix("</b>")
