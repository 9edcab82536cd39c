"""Admins in chat: staff cards with role toggles, /addstaff, /broadcast — and everyone else refused."""

from __future__ import annotations

import html

from sqlalchemy import func, select

from bot.ui.callbacks.admin import BroadcastConfirm, StaffActive, StaffRoleToggle
from portcrm.enums import CustomerType, Grade, Role
from portcrm.i18n import gettext_for
from portcrm.labels import CUSTOMER_TYPE_NAMES, ROLE_NAMES
from portcrm.models import Notification, Staff
from sandbox import SandboxUser, SentMessage
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot

REFUSED = "I don't know that command, or it is not available to you. Send /help to see what I can do."
STALE = "This button is no longer valid."


async def _staff(app: RunningBot, staff_id: int) -> tuple[frozenset[Role], bool]:
    async with app.db.session() as session:
        member = await session.get(Staff, staff_id)
        assert member is not None
        await session.commit()
        return member.role_set, member.active


async def _press(app: RunningBot, user: SandboxUser, message: SentMessage, data: str) -> str | None:
    update = app.sandbox.press_data(TOKEN, user, message, data)
    answer = await app.sandbox.wait_for_answer(update)
    await app.settled()
    return answer.text


async def _notifications(app: RunningBot) -> list[Notification]:
    async with app.db.session() as session:
        rows = list(await session.scalars(select(Notification).where(Notification.kind == "broadcast")))
        await session.commit()
        return rows


async def test_admin_toggles_roles_but_cannot_drop_their_own_admin_role(app: RunningBot) -> None:
    t = gettext_for("zh_CN")
    async with app.db.session() as session:
        admin = await make_staff(session, telegram_user_id=8101, name="管理员", roles=(Role.ADMIN,))
        member = await make_staff(session, telegram_user_id=8102, name="王 <芳>", roles=(Role.MARKET,))
        await session.commit()
    user = app.user(8101, language_code="zh-hans")
    listing = await app.say(user, "/staff")
    assert "王 <芳>" in listing.text
    card = await app.press(user, listing, "王 <芳>")
    assert t("Press a role to give or take it away.") in card.text
    await app.press(user, card, "▫️ " + t(ROLE_NAMES[Role.FINANCE]))
    assert await _staff(app, member.id) == (frozenset({Role.MARKET, Role.FINANCE}), True)
    await _press(app, user, card, StaffRoleToggle(staff_id=member.id, role=Role.MARKET).pack())
    refused = await _press(app, user, card, StaffRoleToggle(staff_id=member.id, role=Role.FINANCE).pack())
    assert refused == t("At least one role is required.")
    assert await _staff(app, member.id) == (frozenset({Role.FINANCE}), True)
    await _press(app, user, card, StaffActive(staff_id=member.id, active=False).pack())
    assert await _staff(app, member.id) == (frozenset({Role.FINANCE}), False)
    own = await _press(app, user, card, StaffRoleToggle(staff_id=admin.id, role=Role.ADMIN).pack())
    assert own == t("You cannot remove your own administrator role: the port must keep an administrator.")
    own = await _press(app, user, card, StaffActive(staff_id=admin.id, active=False).pack())
    assert own == t("You cannot deactivate yourself: the port must keep an administrator.")
    assert await _staff(app, admin.id) == (frozenset({Role.ADMIN}), True)


async def test_addstaff_creates_a_market_member_and_shows_the_card(app: RunningBot) -> None:
    t = gettext_for("en")
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=8201, roles=(Role.ADMIN,))
        await session.commit()
    user = app.user(8201, language_code="en")
    bad = await app.say(user, "/addstaff abc")
    usage = t("Usage: /addstaff &lt;Telegram ID&gt; &lt;name&gt;, for example /addstaff 123456789 王芳")
    assert bad.text == html.unescape(usage)
    card = await app.say(user, "/addstaff 8299 李 四")
    assert card.text.startswith(
        t("Staff member added with the market department role; change the roles below.")
    )
    async with app.db.session() as session:
        member = await session.scalar(select(Staff).where(Staff.telegram_user_id == 8299))
        await session.commit()
    assert member is not None
    assert (member.name, member.role_set) == ("李 四", frozenset({Role.MARKET}))
    again = await app.say(user, "/addstaff 8299 Someone else")
    assert again.text.startswith(t("That Telegram user is already a staff member; nothing was changed."))
    assert await _staff(app, member.id) == (frozenset({Role.MARKET}), True)


async def test_broadcast_previews_the_count_and_a_double_press_sends_once(app: RunningBot) -> None:
    t = gettext_for("en")
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=8301, roles=(Role.ADMIN,))
        forwarder = await make_customer(session, grade=Grade.A)
        await make_contact(session, forwarder, telegram_user_id=8311, consent_marketing=True)
        await make_contact(
            session, forwarder, telegram_user_id=8312, consent_marketing=False, is_primary=False
        )
        line = await make_customer(session, grade=Grade.A, type=CustomerType.SHIPPING_LINE)
        await make_contact(session, line, telegram_user_id=8313, consent_marketing=True)
        await session.commit()
    user = app.user(8301, language_code="en")
    types = await app.say(user, "/broadcast")
    grades = await app.press(user, types, t(CUSTOMER_TYPE_NAMES[CustomerType.FORWARDER]))
    prompt = await app.press(user, grades, "A")
    assert "3000" in prompt.text
    preview = await app.say(user, "New route <Ningbo–LA> & more")
    assert (
        t("Recipients (contacts who agreed to marketing messages): {count}").format(count=1) in preview.text
    )
    assert "New route <Ningbo–LA> & more" in preview.text
    first = app.sandbox.press(TOKEN, user, preview, t("Confirm and send"))
    second = app.sandbox.press_data(TOKEN, user, preview, BroadcastConfirm().pack())
    await app.sandbox.wait_for_answer(first)
    assert (await app.sandbox.wait_for_answer(second)).text == STALE
    await app.settled()
    [row] = await _notifications(app)
    assert (row.chat_id, row.text) == (8311, "New route &lt;Ningbo–LA&gt; &amp; more")


async def test_broadcast_in_chinese_for_all_and_cancel_sends_nothing(app: RunningBot) -> None:
    t = gettext_for("zh_CN")
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=8401, roles=(Role.ADMIN,))
        customer = await make_customer(session)
        await make_contact(session, customer, telegram_user_id=8411, consent_marketing=True)
        await session.commit()
    user = app.user(8401, language_code="zh-hans")
    types = await app.say(user, "/broadcast")
    grades = await app.press(user, types, t("All types"))
    await app.press(user, grades, t("All grades"))
    assert (await app.say(user, "x" * 3001)).text == t(
        "The message is too long ({length} characters; at most {limit})."
    ).format(length=3001, limit=3000)
    preview = await app.say(user, "中秋节快乐")
    assert (
        t("Recipients (contacts who agreed to marketing messages): {count}").format(count=1) in preview.text
    )
    cancelled = await app.press(user, preview, t("Cancel"))
    assert cancelled.text == t("Cancelled. Nothing was sent.")
    assert await _notifications(app) == []


async def test_only_admins_manage_staff_and_broadcast(app: RunningBot) -> None:
    async with app.db.session() as session:
        target = await make_staff(session, telegram_user_id=8501, roles=(Role.MARKET,))
        await make_staff(session, telegram_user_id=8502, roles=(Role.MANAGER, Role.FINANCE))
        customer = await make_customer(session)
        await make_contact(session, customer, telegram_user_id=8503, consent_marketing=True)
        await session.commit()
    forged = [
        StaffRoleToggle(staff_id=target.id, role=Role.ADMIN).pack(),
        StaffActive(staff_id=target.id, active=False).pack(),
        BroadcastConfirm().pack(),
    ]
    for user_id in (8501, 8502, 8503, 8504):
        user = app.user(user_id, language_code="en")
        for command in ("/staff", "/addstaff 8599 Mallory", "/broadcast"):
            reply = await app.say(user, command)
            assert reply.text == REFUSED, (user_id, command)
        for data in forged:
            assert await _press(app, user, reply, data) == STALE
    assert await _staff(app, target.id) == (frozenset({Role.MARKET}), True)
    async with app.db.session() as session:
        assert await session.scalar(select(func.count(Staff.id)).where(Staff.telegram_user_id == 8599)) == 0
        await session.commit()
    assert await _notifications(app) == []
