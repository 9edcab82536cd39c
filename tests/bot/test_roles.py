"""Who sees what: command menus per role, and commands refused to those whose role lacks them."""

from __future__ import annotations

from bot.ui.menus import (
    ADMIN,
    ARCHIVE,
    CUSTOMER,
    DESK,
    EXPORTS,
    FIELD,
    FINANCE,
    MANAGER,
    MARKETING,
    OPERATIONS,
    PRIVACY_DESK,
    STAFF,
)
from portcrm.enums import Role
from portcrm.i18n import gettext_for
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot

NOT_AVAILABLE = "I don't know that command, or it is not available to you. Send /help to see what I can do."


def _menu(app: RunningBot, chat_id: int) -> list[str]:
    return [c["command"] for c in app.sandbox.commands({"type": "chat", "chat_id": chat_id}, token=TOKEN)]


async def test_default_menus_are_installed_in_each_menu_language(app: RunningBot) -> None:
    for language_code, locale in (("", "zh_CN"), ("en", "en"), ("zh", "zh_CN")):
        commands = app.sandbox.commands({"type": "default"}, language_code=language_code, token=TOKEN)
        assert [c["command"] for c in commands] == ["start", "help", "services", "language"]
        assert commands[1]["description"] == gettext_for(locale)("What I can do for you")


async def test_each_role_gets_its_own_chat_menu_after_start(app: RunningBot) -> None:
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=3001, roles=(Role.MARKET,))
        await make_staff(session, telegram_user_id=3002, roles=(Role.ADMIN, Role.MANAGER))
        customer = await make_customer(session)
        await make_contact(session, customer, telegram_user_id=3003)
        await session.commit()
    for user_id in (3001, 3002, 3003, 3004):
        await app.say(app.user(user_id, language_code="en"), "/start")
    menus = (STAFF, MARKETING, FIELD, ARCHIVE, DESK, EXPORTS)
    staff, marketing, field, archive, desk, exports = ([name for name, _ in menu] for menu in menus)
    assert {"visit", "today", "lead", "leads"} <= set(field)
    everyone = ["start", "help", "services", "language"]
    assert _menu(app, 3001) == [*everyone, *staff, *marketing, *field, *archive, *desk, *exports]
    desks = [name for menu in (FINANCE, OPERATIONS) for name, _ in menu]
    top = [name for menu in (MANAGER, PRIVACY_DESK, ADMIN) for name, _ in menu]
    assert _menu(app, 3002) == [
        *everyone,
        *staff,
        *marketing,
        *field,
        *desks,
        *archive,
        *desk,
        *exports,
        *top,
    ]
    customer_menu = _menu(app, 3003)
    assert customer_menu == ["start", "help", "services", "language", *(name for name, _ in CUSTOMER)]
    assert customer_menu[4:6] == ["track", "shipments"]
    assert {"complaint", "complaints"} <= set(customer_menu)
    assert {"balance", "privacy", "ask"} <= set(customer_menu)
    assert _menu(app, 3004) == [], "an unlinked user keeps the default menu"


async def test_staff_directory_is_refused_to_everyone_but_admins(app: RunningBot) -> None:
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=3101, name="张市场", roles=(Role.MARKET, Role.MANAGER))
        await make_staff(session, telegram_user_id=3102, name="管理员 <b>", roles=(Role.ADMIN,))
        customer = await make_customer(session)
        await make_contact(session, customer, telegram_user_id=3103)
        await session.commit()
    for user_id in (3101, 3103, 3104):
        reply = await app.say(app.user(user_id, language_code="zh-hans"), "/staff")
        assert reply.text == gettext_for("zh_CN")(NOT_AVAILABLE), user_id
    reply = await app.say(app.user(3102, language_code="en"), "/staff")
    assert "张市场" in reply.text
    assert "管理员 <b>" in reply.text
    assert "Market department" in reply.text


async def test_whoami_is_for_staff_only(app: RunningBot) -> None:
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=3201, name="李财务", roles=(Role.FINANCE,))
        await session.commit()
    reply = await app.say(app.user(3201, language_code="zh-hant"), "/whoami")
    assert "李财务" in reply.text
    assert gettext_for("zh_TW")("Finance department") in reply.text
    refused = await app.say(app.user(3202, language_code="en"), "/whoami")
    assert refused.text == NOT_AVAILABLE


async def test_forged_button_data_changes_nothing(app: RunningBot) -> None:
    user = app.user(3301, language_code="en")
    menu = await app.say(user, "/language")
    update = app.sandbox.press_data(TOKEN, user, menu, "lang:xx_XX")
    answer = await app.sandbox.wait_for_answer(update)
    assert answer.show_alert
    reply = await app.say(user, "/help")
    assert reply.text.startswith("What I can do for you")
    update = app.sandbox.press_data(TOKEN, user, menu, "no-such-prefix:1")
    answer = await app.sandbox.wait_for_answer(update)
    assert answer.text == "This button is no longer valid."
