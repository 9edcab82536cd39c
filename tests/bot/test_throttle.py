"""A user flooding the bot is slowed and told so, once; everyone else is answered as usual."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.pipeline.throttle import SET_ASIDE, SLOWED
from portcrm.i18n import gettext_for
from portcrm.messaging import inbox
from portcrm.models import ReceivedUpdate
from tests.faults.support import errors, quick_retries, refused, strict
from tests.harness import TOKEN, running_bot

RATE, BURST, WAITING = 5.0, 5, 10  # WAITING is the middleware's default max_waiting
FLOOD = 40  # far beyond what a few seconds of RATE let through
HELP = gettext_for("en")("<b>What I can do for you</b>").removeprefix("<b>").removesuffix("</b>")


async def test_a_flood_is_slowed_with_one_notice_and_a_calm_user_is_not_held_up(database_url: str) -> None:
    _ = gettext_for("en")
    async with running_bot(database_url, user_rate_limit=RATE, user_burst=BURST) as app:
        flooder, calm = app.user(9901, language_code="en"), app.user(9902, language_code="en")
        for n in range(FLOOD):
            app.sandbox.send_text(TOKEN, flooder, f"/help {n}")
        reply = await app.say(calm, "/help")
        answered_by_then = len(app.sandbox.messages(flooder, TOKEN))
        await app.settled(timeout=30)

        texts = [m.text for m in app.sandbox.messages(flooder, TOKEN)]
        slowed, set_aside = _(SLOWED), _(SET_ASIDE)
        assert texts.count(slowed) == 1
        assert texts.count(set_aside) == 1
        helps = [text for text in texts if text not in (slowed, set_aside)]
        # the burst at once, the waiting in turn, more as the bucket refills meanwhile; the rest set aside
        assert BURST + WAITING <= len(helps) < FLOOD
        assert reply.text == helps[0]
        assert answered_by_then < len(texts), "the calm user was answered while the flood was still waiting"
        async with app.db.session() as session:
            assert await inbox.unhandled(session) == [], "each answered or told to resend: none left over"


async def test_button_presses_set_aside_are_answered_so_they_stop_spinning(database_url: str) -> None:
    async with running_bot(database_url, user_rate_limit=RATE, user_burst=1) as app:
        user = app.user(9903, language_code="zh-hans")
        menu = await app.say(user, "/language")
        presses = [app.sandbox.press(TOKEN, user, menu, 0) for _ in range(FLOOD)]
        answers = [await app.sandbox.wait_for_answer(press) for press in presses]
        set_aside = gettext_for("zh_CN")(SET_ASIDE)
        assert sum(answer.text == set_aside for answer in answers) >= 2


class FailsFirstTry(BaseMiddleware):
    """Placed last: the first try at each update fails on the database before writing anything."""

    def __init__(self) -> None:
        self.failed: set[int] = set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update) and event.update_id not in self.failed:
            self.failed.add(event.update_id)
            raise OperationalError("SELECT 1", {}, Exception("database is locked"))
        return await handler(event, data)


async def test_an_update_tried_again_spends_one_token_not_one_a_try(database_url: str) -> None:
    _ = gettext_for("en")
    async with running_bot(database_url, user_rate_limit=0.2, user_burst=2) as app:
        app.dispatcher.update.outer_middleware(FailsFirstTry())
        user = app.user(9904, language_code="en")
        first = await app.say_and_settle(user, "/help")
        second = await app.say_and_settle(user, "/services")  # the second token: no wait, no notice
        assert [_(SLOWED) in m.text for m in first + second] == [False, False]
        async with app.db.session() as session:
            attempts = [row.attempts for row in await session.scalars(select(ReceivedUpdate))]
            await session.commit()
        assert attempts == [2, 2], "each was tried twice"


async def test_a_notice_due_inside_a_retry_after_window_is_not_sent_into_it_nor_made_an_incident(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    _ = gettext_for("en")
    async with running_bot(database_url, user_rate_limit=1.0, user_burst=2, before_start=strict) as app:
        quick_retries(app)
        user = app.user(9905, language_code="en")
        app.sandbox.faults.add("sendMessage", 429, retry_after=3, chat_id=user.id)
        first = app.sandbox.send_text(TOKEN, user, "/help")
        await refused(app, user.id)  # the chat's window is open: its first reply waits it out
        flood = [app.sandbox.send_text(TOKEN, user, f"/help {n}") for n in range(4)]  # two are slowed
        for update in [first, *flood]:
            await app.handled(update, timeout=30)
        await app.settled()

        texts = [m.text or "" for m in app.sandbox.messages(user, TOKEN)]
        assert sum(text.startswith(HELP) for text in texts) == 5, "every message answered"
        assert errors(caplog) == [], "a notice that cannot go now is no incident"
    # running_bot fails on any request sent inside a retry_after window


async def test_a_slowed_button_press_is_answered_at_once_and_still_handled(database_url: str) -> None:
    _ = gettext_for("en")
    async with running_bot(database_url, user_rate_limit=0.5, user_burst=1) as app:
        user = app.user(9906, language_code="en")
        menu = await app.say(user, "/language")  # spends the only token: the press waits two seconds
        press = app.sandbox.press(TOKEN, user, menu, 0)
        answer = await app.sandbox.wait_for_answer(press)
        assert answer.text == _(SLOWED), "answered by the throttle, before the wait"
        await app.handled(press)
        [edited] = app.sandbox.replies(user, press, token=TOKEN)
        assert (edited.message_id, edited.edited) == (menu.message_id, True), "the handler still ran"
        assert [a.query_id for a in app.sandbox.callback_answers] == [press["callback_query"]["id"]]
