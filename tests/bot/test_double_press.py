"""One button pressed twice before the first press is handled: both are answered, neither apologises."""

from __future__ import annotations

from portcrm.i18n import gettext_for
from tests.harness import TOKEN, RunningBot


async def test_the_same_language_button_pressed_twice_at_once_is_answered_twice(app: RunningBot) -> None:
    user = app.user(9911, language_code="en")
    menu = await app.say(user, "/language")
    presses = [app.sandbox.press(TOKEN, user, menu, 0), app.sandbox.press(TOKEN, user, menu, 0)]
    answers = [await app.sandbox.wait_for_answer(press) for press in presses]
    await app.settled()

    apology = gettext_for("zh_CN")(
        "Sorry, something went wrong on our side. Please try again later. Incident: {incident}"
    ).split("{incident}")[0]
    assert [answer.text for answer in answers if apology in (answer.text or "")] == []
    [message] = app.sandbox.messages(user, TOKEN)  # the menu, settled in place
    assert message.text == gettext_for("zh_CN")("Language set to {language}.").format(language="简体中文")
