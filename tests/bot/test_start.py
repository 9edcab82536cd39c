"""/start, /help, /language and the role menus, through the sandbox with the real bot."""

from __future__ import annotations

import pytest

from portcrm.i18n import gettext_for
from tests.harness import RunningBot

UNLINKED_WELCOME = (
    "Welcome to the port's customer service assistant. To see your shipments, invoices and "
    "complaints, ask your account manager for a personal invite link."
)


@pytest.mark.parametrize(
    ("language_code", "locale"),
    [("zh-hans", "zh_CN"), ("zh-hant", "zh_TW"), ("en", "en"), ("de", "zh_CN"), (None, "zh_CN")],
)
async def test_start_answers_in_the_users_telegram_language(
    app: RunningBot, language_code: str | None, locale: str
) -> None:
    user = app.user(2001, "李雷", language_code=language_code)
    reply = await app.say(user, "/start")
    expected = gettext_for(locale)(UNLINKED_WELCOME)
    assert reply.text.startswith(expected)
    if locale != "en":
        assert expected != UNLINKED_WELCOME, f"{locale} has no translation of the welcome"


async def test_language_choice_is_remembered_over_the_telegram_language(app: RunningBot) -> None:
    user = app.user(2002, "Wang", language_code="en")
    menu = await app.say(user, "/language")
    assert [text for row in menu.buttons for text, _ in row] == ["简体中文", "繁體中文", "✓ English"]
    await app.press(user, menu, "繁體中文")
    reply = await app.say(user, "/help")
    assert reply.text.startswith(gettext_for("zh_TW")("What I can do for you"))


async def test_unknown_command_gets_a_translated_hint(app: RunningBot) -> None:
    user = app.user(2003, "Li", language_code="zh-hans")
    reply = await app.say(user, "/no_such_command")
    assert reply.text == gettext_for("zh_CN")(
        "I don't know that command, or it is not available to you. Send /help to see what I can do."
    )
