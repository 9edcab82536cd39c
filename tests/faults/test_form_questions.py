"""Every form, when Telegram loses its next question for good (after the retries): the conversation stays
where it was, and doing the same again (the button still there, the text sent again) asks again.

The complaint form has its own file (test_form_faults.py); these are the other forms in bot/handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.ui.callbacks.desk import DeskAction, DeskStep
from portcrm.enums import ComplaintCategory, CustomerType, Role, SurveyKind
from portcrm.i18n import gettext_for
from portcrm.labels import CUSTOMER_TYPE_NAMES
from portcrm.models import Inquiry
from portcrm.services.care.inquiries import submit_inquiry
from portcrm.services.care.surveys import DIMENSIONS, open_survey
from portcrm.services.complaints import flow
from sandbox import SandboxUser, SentMessage
from tests.bot.test_archive import OPERATIONS
from tests.bot.test_archive import _port as _archive_port
from tests.bot.test_complaints import _company, _filed, _notice
from tests.bot.test_operations import BL
from tests.bot.test_operations import _port as _operations_port
from tests.bot.test_queue import _complaint
from tests.bot.test_visits import _setup as _marketer
from tests.factories import make_contact, make_customer, make_staff
from tests.faults.support import quick_retries
from tests.harness import TOKEN, RunningBot, running_bot

en = gettext_for("en")
Act = Callable[[], dict[str, Any]]


async def _state(app: RunningBot, user: SandboxUser) -> str | None:
    context = app.dispatcher.fsm.get_context(bot=app.bot, chat_id=user.id, user_id=user.id)
    return await context.get_state()


def _starts(text: str) -> Callable[[SentMessage], bool]:
    return lambda m: (m.text or "").startswith(text)


async def _lost_then_asked_again(
    app: RunningBot,
    user: SandboxUser,
    act: Act,
    question: Callable[[SentMessage], bool],
    *,
    method: str = "sendMessage",
) -> SentMessage:
    """`act` with its question lost for good, which leaves the conversation's state as it was; then `act`
    again, which asks it and moves the form on. Returns the question."""
    retries = quick_retries(app)
    await app.settled()  # the step before is done with, its state written
    before = await _state(app, user)
    app.sandbox.faults.add(method, 500, times=retries.attempts, chat_id=user.id)
    lost = act()
    await app.handled(lost, timeout=30)
    assert not [m for m in app.sandbox.replies(user, lost, token=TOKEN) if question(m)], "lost"
    assert await _state(app, user) == before, "the form did not move past a question the user never saw"
    again = act()
    await app.handled(again, timeout=30)
    [asked] = [m for m in app.sandbox.replies(user, again, token=TOKEN) if question(m)]
    assert await _state(app, user) != before
    return asked


async def test_the_lead_form(database_url: str) -> None:
    async with running_bot(database_url) as app:
        async with app.db.session() as session:
            await make_staff(session, telegram_user_id=4711, roles=(Role.MARKET,))
            await session.commit()
        user = app.user(4711, language_code="en")
        await app.say(user, "/lead")
        kinds = await _lost_then_asked_again(
            app,
            user,
            lambda: app.sandbox.send_text(TOKEN, user, "Ningbo Lost Question Ltd"),
            _starts(en("What kind of company is it?")),
        )
        owner = en(CUSTOMER_TYPE_NAMES[CustomerType.CARGO_OWNER])
        sources = await _lost_then_asked_again(
            app,
            user,
            lambda: app.sandbox.press(TOKEN, user, kinds, owner),
            _starts(en("Where did the lead come from?")),
        )
        assert sources.buttons


async def test_the_visit_form(database_url: str) -> None:
    async with running_bot(database_url) as app:
        await _marketer(app, 4712)
        user = app.user(4712, language_code="en")
        method = await app.say(user, "/visit nb4712")
        await _lost_then_asked_again(
            app,
            user,
            lambda: app.sandbox.press(TOKEN, user, method, "Phone"),
            _starts("What was discussed?"),
        )


async def test_the_broadcast_form_whose_questions_replace_the_buttons(database_url: str) -> None:
    async with running_bot(database_url) as app:
        async with app.db.session() as session:
            await make_staff(session, telegram_user_id=4713, roles=(Role.ADMIN,))
            await session.commit()
        user = app.user(4713, language_code="en")
        types = await app.say(user, "/broadcast")
        forwarder = en(CUSTOMER_TYPE_NAMES[CustomerType.FORWARDER])
        grades = await _lost_then_asked_again(
            app,
            user,
            lambda: app.sandbox.press(TOKEN, user, types, forwarder),
            _starts(en("Which grade?")),
            method="editMessageText",
        )
        assert grades.message_id == types.message_id


async def test_the_complaint_desks_text_forms(database_url: str) -> None:
    async with running_bot(database_url) as app:
        async with app.db.session() as session:
            await make_staff(session, telegram_user_id=4714, roles=(Role.OPERATIONS,))
            customer = await make_customer(session)
            await session.commit()
        complaint = await _complaint(app, customer.id, ComplaintCategory.DELAY)
        user = app.user(4714, language_code="en")
        card = await app.press(user, await app.say(user, "/queue"), 0)
        note = DeskAction(step=DeskStep.NOTE, complaint_id=complaint.id).pack()
        await _lost_then_asked_again(
            app,
            user,
            lambda: app.sandbox.press_data(TOKEN, user, card, note),
            _starts("Write the note for complaint"),
        )


async def test_the_archive_edit_and_contact_forms(database_url: str) -> None:
    async with running_bot(database_url) as app:
        customer_id = await _archive_port(app)
        user = app.user(OPERATIONS, language_code="en")
        menu = await app.say(user, "/edit nba100")
        await _lost_then_asked_again(
            app,
            user,
            lambda: app.sandbox.press(TOKEN, user, menu, en("Annual volume (TEU)")),
            _starts(en("Annual volume (TEU)")),
        )
        await app.say(user, "/cancel")
        market = app.user(9501, language_code="en")
        contacts = await app.say(market, "/contact nba100")
        await app.press(market, contacts, en("Add contact"))
        await _lost_then_asked_again(
            app,
            market,
            lambda: app.sandbox.send_text(TOKEN, market, "Chen Jing"),
            _starts(en("Now send their phone number or email address.")),
        )
        assert customer_id


async def test_the_cargo_event_form(database_url: str) -> None:
    async with running_bot(database_url) as app:
        await _operations_port(app)
        user = app.user(7201, language_code="en")
        await app.say(user, "/event")
        await _lost_then_asked_again(
            app, user, lambda: app.sandbox.send_text(TOKEN, user, BL), _starts(en("What happened?"))
        )


async def test_ask_without_its_question_takes_no_later_text_as_one(database_url: str) -> None:
    async with running_bot(database_url) as app:
        await _company(app, 4715, shipments=0)
        user = app.user(4715, language_code="en")
        retries = quick_retries(app)
        app.sandbox.faults.add("sendMessage", 500, times=retries.attempts, chat_id=user.id)
        lost = app.sandbox.send_text(TOKEN, user, "/ask")
        await app.handled(lost, timeout=30)
        # the apology comes after the mark (aiogram's error observer runs outside the pipeline): it must not
        # be taken for the reply to the next message
        apology = await app.sandbox.wait_for_reply(user, after=lost, token=TOKEN)
        assert (apology.text or "").startswith(en("Sorry, something went wrong on our side."))
        assert await _state(app, user) is None
        chat = await app.say(user, "hello, is anyone there?")
        assert chat.text == en("Sorry, I didn't understand that. Send /help to see what I can do.")
        async with app.db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Inquiry)) == 0
            await session.commit()
        asked = await app.say(user, "/ask")
        assert (asked.text or "").startswith(en("Please write your question"))


async def test_the_staff_answer_to_a_question(database_url: str) -> None:
    async with running_bot(database_url) as app:
        async with app.db.session() as session:
            manager = await make_staff(session, telegram_user_id=4716, roles=(Role.MARKET,))
            customer = await make_customer(session, account_manager_id=manager.id)
            contact = await make_contact(session, customer, telegram_user_id=4717)
            await session.commit()
            customer_id, contact_id = customer.id, contact.id
        user = app.user(4716, language_code="en")
        await app.say(user, "/start")
        mark = app.sandbox.mark()
        async with app.db.session() as session:
            await submit_inquiry(session, customer_id, contact_id, "When?", default_locale="zh_CN")
        alert = await app.sandbox.wait_for_reply(user, after=mark, token=TOKEN)
        await _lost_then_asked_again(
            app,
            user,
            lambda: app.sandbox.press(TOKEN, user, alert, en("Reply")),
            _starts(en("Please write your answer")),
        )


@pytest.mark.slow
async def test_the_customers_reply_and_rating_comment(database_url: str) -> None:
    async with running_bot(database_url) as app:
        async with app.db.session() as session:
            handler = await make_staff(session, telegram_user_id=4718, roles=(Role.MARKET,))
            await session.commit()
        company = await _company(app, 4719, shipments=0)
        user = app.user(4719, language_code="en")
        await app.say(user, "/start")
        complaint = await _filed(app, company)
        async with app.db.session() as session:
            await flow.acknowledge(session, complaint.id, handler.id, default_locale="zh_CN")
            await flow.start_investigation(session, complaint.id, handler.id, default_locale="zh_CN")
            mark = app.sandbox.mark()
            await flow.ask_customer(session, complaint.id, handler.id, "Which box?", default_locale="zh_CN")
        question = await _notice(app, user, mark, "Which box?")
        await _lost_then_asked_again(
            app,
            user,
            lambda: app.sandbox.press(TOKEN, user, question, en("Reply")),
            _starts(en("Please type your answer for complaint {ticket}.").format(ticket=complaint.ticket)),
        )
        await app.say(user, "MSKU1234565")
        async with app.db.session() as session:
            await flow.propose_resolution(session, complaint.id, handler.id, "Refund", default_locale="zh_CN")
            await flow.customer_accepts(
                session, complaint.id, company.customer_id, company.contact_id, settings=app.settings
            )
            mark = app.sandbox.mark()
            await flow.close(session, complaint.id, handler.id, "cause", "action", default_locale="zh_CN")
        rating = await _notice(app, user, mark, en("How satisfied are you"))
        await _lost_then_asked_again(
            app,
            user,
            lambda: app.sandbox.press(TOKEN, user, rating, "4★"),
            _starts(en("You gave {ticket} {score} of 5.").format(ticket=complaint.ticket, score=4)),
        )


async def test_the_survey_comment(database_url: str) -> None:
    async with running_bot(database_url) as app:
        async with app.db.session() as session:
            customer = await make_customer(session)
            contact = await make_contact(session, customer, telegram_user_id=4720)
            await session.commit()
            contact_id = contact.id
        user = app.user(4720, language_code="en")
        await app.say(user, "/start")
        mark = app.sandbox.mark()
        async with app.db.session() as session:
            await open_survey(session, contact_id, SurveyKind.PERIODIC, "2026-Q4", default_locale="en")
        screen = await app.press(
            user, await app.sandbox.wait_for_reply(user, after=mark, token=TOKEN), "Start"
        )
        for _step in range(2 * len(DIMENSIONS) - 1):
            screen = await app.press(user, screen, "5")
        comment = await _lost_then_asked_again(
            app,
            user,
            lambda: app.sandbox.press(TOKEN, user, screen, "5"),
            _starts(en("Thank you! Would you like to add a comment?")),
            method="editMessageText",
        )
        assert [label for row in comment.buttons for label, _data in row] == [en("Skip"), en("◀ Back")]
