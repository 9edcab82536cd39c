"""A user flooding the bot is slowed and told so, once; everyone else is answered as usual."""

from __future__ import annotations

from bot.middlewares.throttle import SET_ASIDE, SLOWED
from portcrm import inbox
from portcrm.i18n import gettext_for
from tests.harness import TOKEN, running_bot

RATE, BURST, WAITING = 5.0, 5, 10  # WAITING is the middleware's default max_waiting
FLOOD = 40  # far beyond what a few seconds of RATE let through


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
