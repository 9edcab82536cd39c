"""A complaint form when Telegram fails a send for good (after its retries): the form never moves past a
question the user did not get, and a button's answer that fails stops nothing.

Each fault is as many failures as the retry layer makes attempts, so the send is lost, not just delayed.
"""

from __future__ import annotations

import pytest

from portcrm.i18n import gettext_for
from sandbox import SandboxUser, SentMessage
from tests.bot.test_complaints import _company, _to_step
from tests.faults.support import complaints, errors, quick_retries
from tests.harness import TOKEN, RunningBot, running_bot

en = gettext_for("en")
DESCRIBE = "Please describe the problem: what happened, when, and what you expect from us."
FILES = "You can add up to"  # the start of the files prompt before any file
SUMMARY = "Please check your complaint"
SUBMITTED = "Complaint {ticket} submitted."
THANKS = "Thank you. Your complaint is registered as <b>{ticket}</b>."
APOLOGY = "Sorry, something went wrong on our side. Please try again later. Incident: {incident}"
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


def _thanks(ticket: str) -> str:
    """The confirmation's first words as the user reads them (the HTML parsed away)."""
    return en(THANKS).format(ticket=ticket).replace("<b>", "").replace("</b>", "")


async def _new_messages(app: RunningBot, user: SandboxUser, update: dict[str, object]) -> list[SentMessage]:
    """The bot's new messages (not edits) in the chat once the update is handled."""
    await app.handled(update, timeout=30)
    return [m for m in app.sandbox.replies(user, update, token=TOKEN) if not m.edited]


async def test_a_lost_question_after_a_button_leaves_the_button_to_press_again(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(database_url) as app:
        retries = quick_retries(app)
        await _company(app, 8711)
        user = app.user(8711, language_code="en")
        which = await _to_step(app, user, "shipment")
        app.sandbox.faults.add("sendMessage", 500, times=retries.attempts, chat_id=user.id)
        lost = app.sandbox.press(TOKEN, user, which, en("None of these"))
        assert await _new_messages(app, user, lost) == [], "the question was lost"

        again = app.sandbox.press(TOKEN, user, which, en("None of these"))  # its buttons are still there
        [describe] = await _new_messages(app, user, again)
        assert describe.text == en(DESCRIBE)
        files = await app.say(user, "The invoice is wrong.")
        assert [label for row in files.buttons for label, _data in row] == [en("Skip")]
        apology = await app.sandbox.wait_for_answer(lost)  # the lost press was not answered before
        assert (apology.text or "").startswith(en(APOLOGY).split("{")[0])
        assert [m for m in errors(caplog) if "incident" not in m] == []


async def test_a_lost_question_after_a_message_takes_the_same_message_again(database_url: str) -> None:
    async with running_bot(database_url) as app:
        retries = quick_retries(app)
        await _company(app, 8712)
        user = app.user(8712, language_code="en")
        await _to_step(app, user, "description")
        # the question is lost; the apology (the next send) gets through
        app.sandbox.faults.add("sendMessage", 500, times=retries.attempts, chat_id=user.id)
        lost = app.sandbox.send_text(TOKEN, user, "The invoice is wrong.")
        [apology] = await _new_messages(app, user, lost)
        assert apology.text.startswith(en(APOLOGY).split("{")[0])

        files = await app.say(user, "The invoice is wrong.")
        assert files.text.startswith(en(FILES)), "still at the description: the same text is taken again"
        assert [label for row in files.buttons for label, _data in row] == [en("Skip")]


async def test_a_lost_summary_leaves_done_to_press_again_and_submit_works(database_url: str) -> None:
    async with running_bot(database_url) as app:
        retries = quick_retries(app)
        await _company(app, 8713)
        user = app.user(8713, language_code="en")
        files = await _to_step(app, user, "attachments")
        app.sandbox.faults.add("sendMessage", 500, times=retries.attempts, chat_id=user.id)
        lost = app.sandbox.press(TOKEN, user, files, en("Skip"))
        assert await _new_messages(app, user, lost) == []

        again = app.sandbox.press(TOKEN, user, files, en("Skip"))
        [summary] = await _new_messages(app, user, again)
        assert summary.text.startswith(en(SUMMARY))
        submit = app.sandbox.press(TOKEN, user, summary, en("Submit"))
        [thanks] = await _new_messages(app, user, submit)
        [complaint] = await complaints(app.db)
        assert thanks.text.startswith(_thanks(complaint.ticket))


async def test_a_press_whose_answer_is_too_old_still_gets_its_next_question(database_url: str) -> None:
    async with running_bot(database_url) as app:
        quick_retries(app)
        await _company(app, 8716)
        user = app.user(8716, language_code="en")
        ask = await _to_step(app, user, "category")
        app.sandbox.faults.add("answerCallbackQuery", 400, description=TOO_OLD)
        press = app.sandbox.press(TOKEN, user, ask, en("Billing"))
        [which] = await _new_messages(app, user, press)
        assert which.text == en("Which shipment is it about?")
        settled = next(m for m in app.sandbox.messages(user, TOKEN) if m.message_id == ask.message_id)
        assert settled.text == en("Category: {category}").format(category=en("Billing"))
        assert settled.buttons == []
