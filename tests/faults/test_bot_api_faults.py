"""Telegram answering 429, 500 or nothing while the bot handles an update: the call is tried again, the
handler is not, so what the user submitted is stored once and the answer (or an apology) arrives."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.ui.callbacks.desk import DeskAction, DeskStep
from portcrm.enums import ComplaintCategory, ComplaintStatus, Role
from portcrm.i18n import gettext_for
from portcrm.models import ComplaintEvent
from tests.bot.test_complaints import _company, _to_step
from tests.bot.test_queue import _complaint
from tests.bot.test_tracking import _port
from tests.factories import make_contact, make_customer, make_staff
from tests.faults.support import complaints, errors, quick_retries, received
from tests.harness import TOKEN, RunningBot, running_bot

en = gettext_for("en")
SUBMITTED = "Complaint {ticket} submitted."
THANKS = "Thank you. Your complaint is registered as <b>{ticket}</b>."
APOLOGY = "Sorry, something went wrong on our side. Please try again later. Incident: {incident}"
SORRY = en(APOLOGY).split("{")[0]


async def test_a_complaint_submitted_through_a_429_a_500_and_a_timeout_is_stored_once_and_confirmed(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(database_url) as app:
        quick_retries(app)
        await _company(app, 8701)
        user = app.user(8701, language_code="en")
        confirm = await _to_step(app, user, "confirm")
        faults = app.sandbox.faults
        faults.add("answerCallbackQuery", 429, retry_after=1)
        faults.add("answerCallbackQuery", 500)
        faults.add("editMessageReplyMarkup", 502, chat_id=user.id)
        faults.add("sendMessage", "timeout", chat_id=user.id)  # held past the test: never performed here
        press = app.sandbox.press(TOKEN, user, confirm, en("Submit"))
        await app.handled(press, timeout=30)

        [complaint] = await complaints(app.db)
        answer = await app.sandbox.wait_for_answer(press)
        assert answer.text == en(SUBMITTED).format(ticket=complaint.ticket)
        replies = app.sandbox.replies(user, press, token=TOKEN)
        thanks = [m for m in replies if complaint.ticket in (m.text or "")]
        assert len(thanks) == 1
        assert thanks[0].text.startswith(en(THANKS).format(ticket=complaint.ticket).replace("<b>", "")[:40])
        assert confirm.message_id in {m.message_id for m in replies}, "its buttons were dropped"
        assert faults.pending == [], "every fault was met"
        assert (await received(app.db, press["update_id"])).attempts == 1, "the handler ran once"
        assert errors(caplog) == []


async def test_track_answers_after_a_429_and_a_timeout(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(database_url) as app:
        quick_retries(app)
        await _port(app)
        user = app.user(8001, language_code="en")
        app.sandbox.faults.add("sendMessage", 429, retry_after=1, chat_id=user.id)
        app.sandbox.faults.add("sendMessage", "timeout", chat_id=user.id)
        update = app.sandbox.send_text(TOKEN, user, "/track OOLU2741538960")
        await app.handled(update, timeout=30)

        [card] = app.sandbox.replies(user, update, token=TOKEN)
        assert "COSCO ARIES 078E" in (card.text or "")
        assert app.sandbox.faults.pending == []
        assert errors(caplog) == []


async def test_track_gets_an_apology_when_telegram_keeps_failing_and_the_bot_serves_on(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(database_url) as app:
        retries = quick_retries(app)
        await _port(app)
        user = app.user(8001, language_code="en")
        app.sandbox.faults.add("sendMessage", 500, times=retries.attempts, chat_id=user.id)
        update = app.sandbox.send_text(TOKEN, user, "/track OOLU2741538960")
        await app.handled(update, timeout=30)

        # the update is marked handled before the error observer apologises: wait for the apology
        apology = await app.sandbox.wait_for_reply(user, after=update, token=TOKEN)
        assert (apology.text or "").startswith(SORRY)
        assert len(app.sandbox.replies(user, update, token=TOKEN)) == 1
        assert (await received(app.db, update["update_id"])).attempts == 1
        card = await app.say(user, "/track OOLU2741538960")
        assert "COSCO ARIES 078E" in (card.text or "")
        assert [m for m in errors(caplog) if "incident" not in m] == []


async def _desk(app: RunningBot) -> tuple[int, int]:
    """A submitted delay complaint and the operations colleague (9411) whose desk it is on."""
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=9411, name="赵操作", roles=(Role.OPERATIONS,))
        customer = await make_customer(session)
        contact = await make_contact(session, customer, telegram_user_id=9412)
        await session.commit()
        customer_id, contact_id = customer.id, contact.id
    complaint = await _complaint(app, customer_id, ComplaintCategory.DELAY, contact_id=contact_id)
    return complaint.id, contact_id


async def test_a_staff_step_through_a_timeout_and_a_500_is_recorded_once_and_the_card_updated(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(database_url) as app:
        quick_retries(app)
        complaint_id, _contact = await _desk(app)
        staff = app.user(9411, language_code="en")
        queue = await app.say(staff, "/queue")
        card = await app.press(staff, queue, 0)
        app.sandbox.faults.add("answerCallbackQuery", "timeout")
        app.sandbox.faults.add("editMessageText", 500, chat_id=staff.id)
        app.sandbox.faults.add("editMessageText", 429, retry_after=1, chat_id=staff.id)
        data = DeskAction(step=DeskStep.ACKNOWLEDGE, complaint_id=complaint_id).pack()
        press = app.sandbox.press_data(TOKEN, staff, card, data)
        await app.handled(press, timeout=30)

        assert (await app.sandbox.wait_for_answer(press)).text == en("Done.")
        edited = await app.sandbox.wait_for_reply(staff, after=press, token=TOKEN)
        assert en("Assigned to: {name}").format(name="赵操作") in (edited.text or "")
        async with app.db.session() as session:
            kinds = list(
                await session.scalars(
                    select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == complaint_id)
                )
            )
            status = await session.scalar(
                select(func.count())
                .select_from(ComplaintEvent)
                .where(
                    ComplaintEvent.complaint_id == complaint_id,
                    ComplaintEvent.to_status == ComplaintStatus.ACKNOWLEDGED,
                )
            )
            await session.commit()
        assert status == 1, f"acknowledged once: {kinds}"
        assert app.sandbox.faults.pending == []
        assert (await received(app.db, press["update_id"])).attempts == 1
        assert errors(caplog) == []
