"""Users typing and pressing buttons in bursts, against Telegram's flood limits and its faults.

What the outside Telegram double checks, checked here on the sandbox's own records: no request inside a
retry_after window from any path (handlers, throttle notices, apologies, the outbox), every button press
answered within Telegram's 15 s, and no incident for a throttle notice (nor any other).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.pipeline.throttle import SLOWED
from bot.ui.callbacks.common import LanguageChoice
from portcrm.enums import NotificationStatus
from portcrm.i18n import gettext_for
from portcrm.messaging import outbox
from portcrm.models import Notification
from portcrm.settings import LOCALES
from sandbox import SandboxUser
from sandbox.limits import CALLBACK_ANSWER_SECONDS
from tests.faults.support import errors, quick_retries, strict
from tests.harness import TOKEN, RunningBot, running_bot

pytestmark = pytest.mark.slow  # scheduled first (tests/conftest.py)

USERS = 4
ROUNDS = 4
BURST = ("/help", "press", "/help", "press", "/help")  # beyond the throttle's burst of 3: some are slowed
HELPS = tuple(
    gettext_for(locale)("<b>What I can do for you</b>").removeprefix("<b>").removesuffix("</b>")
    for locale in LOCALES
)


def _faults(app: RunningBot, users: list[SandboxUser]) -> None:
    """Telegram misbehaving along the way: a 429, a 502 page, dropped connections, a 500."""
    faults = app.sandbox.faults
    faults.add("sendMessage", 429, retry_after=2, chat_id=users[0].id)
    faults.add("editMessageText", 502, chat_id=users[1].id)
    faults.add("sendMessage", "drop", chat_id=users[2].id)
    faults.add("editMessageText", "drop", apply=True, chat_id=users[3].id)
    faults.add("answerCallbackQuery", 500)
    faults.add("sendMessage", 429, retry_after=1, chat_id=users[3].id)


async def _notify(app: RunningBot, users: list[SandboxUser]) -> None:
    """The outbox has something for each of them meanwhile."""
    async with app.db.session() as session:
        for user in users:
            for n in range(2):
                await outbox.enqueue(
                    session, key=f"{user.id}-{n}", kind="test", chat_id=user.id, text=f"notice {n}"
                )
        await session.commit()


async def _user(app: RunningBot, user: SandboxUser) -> list[dict[str, Any]]:
    """Bursts of messages and presses, each sent once the last one has been handled; the presses."""
    menu = await app.say(user, "/language")
    presses: list[dict[str, Any]] = []
    for round_ in range(ROUNDS):
        burst = []
        for n, kind in enumerate(BURST):
            if kind == "press":
                locale = LOCALES[(round_ + n) % len(LOCALES)]  # a new language each time: a real edit
                burst.append(app.sandbox.press_data(TOKEN, user, menu, LanguageChoice(locale=locale).pack()))
                presses.append(burst[-1])
            else:
                burst.append(app.sandbox.send_text(TOKEN, user, kind))
        for update in burst:
            await app.handled(update, timeout=60)
    return presses


async def test_bursts_of_updates_through_flood_limits_and_faults_break_no_rule(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(database_url, user_rate_limit=1.0, user_burst=3, before_start=strict) as app:
        quick_retries(app)
        users = [app.user(9600 + n, language_code="en") for n in range(USERS)]
        _faults(app, users)
        await _notify(app, users)
        pressed = await asyncio.gather(*(_user(app, user) for user in users))
        presses = [press for each in pressed for press in each]
        await app.settled(timeout=60)

        sandbox = app.sandbox
        assert sandbox.violations == [], "a request was sent inside a retry_after window"
        assert any(call.status == 429 and not call.injected for call in sandbox.calls), "limits were met"
        answers = {answer.query_id: answer for answer in sandbox.callback_answers}
        assert sorted(answers) == sorted(press["callback_query"]["id"] for press in presses)
        assert max(answer.after for answer in answers.values()) < CALLBACK_ANSWER_SECONDS
        assert sandbox.unanswered_callbacks() == []
        slowed = {gettext_for(locale)(SLOWED) for locale in LOCALES}
        assert any(answer.text in slowed for answer in answers.values()), "presses were slowed"
        assert errors(caplog) == [], "no incident, for a notice or anything else"
        for user in users:
            texts = [m.text or "" for m in sandbox.messages(user, TOKEN)]
            assert sum(text.startswith(HELPS) for text in texts) == ROUNDS * BURST.count("/help")
        await _all_sent(app)
        assert sandbox.faults.pending == []


async def _all_sent(app: RunningBot) -> None:
    async with asyncio.timeout(30):
        while True:
            async with app.db.session() as session:
                statuses = set(await session.scalars(select(Notification.status)))
                await session.commit()
            if statuses == {NotificationStatus.SENT}:
                return
            await asyncio.sleep(0.05)
