"""A failing handler: a translated apology with an incident id, logged with the same id; the bot goes on."""

from __future__ import annotations

import logging
import re

import pytest

from portcrm.i18n import gettext_for
from tests.harness import TOKEN, RunningBot


async def test_an_error_gets_an_apology_with_the_logged_incident_id(
    app: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    user = app.user(5001, language_code="zh-hant")
    await app.say(user, "/help")
    # Telegram refuses the handler's reply once (a failure no retry mends); the apology then goes through
    app.sandbox.faults.add(method="sendMessage", status=400, times=1)
    with caplog.at_level(logging.ERROR, logger="bot.handlers.errors"):
        reply = await app.say(user, "/services")
    match = re.search(r"([0-9A-F]{8})$", reply.text)
    assert match is not None
    apology = gettext_for("zh_TW")(
        "Sorry, something went wrong on our side. Please try again later. Incident: {incident}"
    )
    assert reply.text == apology.format(incident=match.group(1))
    assert any(match.group(1) in record.getMessage() for record in caplog.records)
    # and the bot is still serving
    assert (await app.say(user, "/help")).text.startswith(gettext_for("zh_TW")("What I can do for you"))
    assert TOKEN not in caplog.text
