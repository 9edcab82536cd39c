"""Every transient Bot API failure is tried again while handling an update: a 429, a 5xx, Telegram's 502
page (which aiogram raises as ClientDecodeError, not TelegramServerError), a dropped connection, a hang."""

from __future__ import annotations

import pytest

from portcrm.i18n import gettext_for
from tests.faults.support import errors, quick_retries, received
from tests.harness import TOKEN, running_bot

en = gettext_for("en")
HELP = en("<b>What I can do for you</b>").removeprefix("<b>").removesuffix("</b>")


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 502},  # an HTML page, as Telegram's front servers answer
        {"status": 503, "html": True},
        {"status": "drop"},  # the connection closed without an answer
        {"status": "drop", "apply": True},  # ... after Telegram performed the call
    ],
    ids=["502-page", "503-page", "drop", "drop-after-performing"],
)
async def test_a_reply_survives_a_transient_failure_without_an_apology(
    database_url: str, caplog: pytest.LogCaptureFixture, fault: dict[str, object]
) -> None:
    async with running_bot(database_url) as app:
        quick_retries(app)
        user = app.user(8801, language_code="en")
        app.sandbox.faults.add("sendMessage", chat_id=user.id, times=2, **fault)  # type: ignore[arg-type]
        update = app.sandbox.send_text(TOKEN, user, "/help")
        await app.handled(update, timeout=30)

        replies = [m.text or "" for m in app.sandbox.replies(user, update, token=TOKEN)]
        assert all(text.startswith(HELP) for text in replies), replies
        # performed but unanswered: the call is tried again and may show twice (docs/operations.md)
        assert len(replies) == (3 if fault.get("apply") else 1)
        assert app.sandbox.faults.pending == []
        assert (await received(app.db, update["update_id"])).attempts == 1, "the handler ran once"
        assert errors(caplog) == []
