"""The satisfaction survey through the real bot: invitation, ten scores in one edited message, refusals."""

from __future__ import annotations

from sqlalchemy import select

from bot.ui.callbacks.surveys import SurveyScore, SurveyStart
from portcrm.enums import SurveyKind
from portcrm.i18n import gettext_for
from portcrm.labels import SERVQUAL_NAMES
from portcrm.models import Survey, SurveyAnswer
from portcrm.services.care.surveys import DIMENSIONS, Score, open_survey
from sandbox import SandboxUser, SentMessage
from tests.factories import make_contact, make_customer
from tests.harness import TOKEN, RunningBot, running_bot

EXPECTED = (5, 5, 4, 5, 4)
PERCEIVED = (4, 3, 4, 5, 2)
ALREADY = "You have already answered this survey. Thank you!"
NOT_FOUND = "That survey was not found."


async def _linked(app: RunningBot, user_id: int) -> int:
    async with app.db.session() as session:
        customer = await make_customer(session)
        contact = await make_contact(session, customer, telegram_user_id=user_id)
        await session.commit()
        return contact.id


async def _invite(
    app: RunningBot, user: SandboxUser, contact_id: int, period: str = "2026-Q3"
) -> SentMessage:
    """Open a survey as the scheduler will, and return the invitation once the outbox delivered it."""
    mark = app.sandbox.mark()
    async with app.db.session() as session:
        survey = await open_survey(session, contact_id, SurveyKind.PERIODIC, period, default_locale="zh_CN")
        assert survey is not None
    return await app.sandbox.wait_for_reply(user, after=mark, token=TOKEN)


async def _answers(app: RunningBot) -> tuple[Survey, dict[str, tuple[int | None, int | None]]]:
    async with app.db.session() as session:
        survey = await session.scalar(select(Survey))
        rows = await session.scalars(select(SurveyAnswer))
        answers = {row.dimension.value: (row.expectation, row.perception) for row in rows}
        await session.commit()
    assert survey is not None
    return survey, answers


async def _score(app: RunningBot, user: SandboxUser, message: SentMessage, value: int) -> SentMessage:
    return await app.press(user, message, str(value))


async def test_a_full_survey_is_saved_per_customer_and_period(app: RunningBot) -> None:
    contact_id = await _linked(app, 9901)
    user = app.user(9901, language_code="zh-hans")
    await app.say(user, "/start")
    _zh = gettext_for("zh_CN")
    invitation = await _invite(app, user, contact_id)
    for dimension in DIMENSIONS:
        assert _zh(SERVQUAL_NAMES[dimension]) in invitation.text
    screen = await app.press(user, invitation, _zh("Start"))
    assert screen.message_id == invitation.message_id, "the survey edits the invitation in place"
    assert _zh(SERVQUAL_NAMES[DIMENSIONS[0]]) in screen.text
    survey_id = (await _answers(app))[0].id
    update = app.sandbox.press_data(TOKEN, user, screen, SurveyStart(survey_id=survey_id).pack())
    await app.sandbox.wait_for_answer(update)  # the same screen again: no edit, which Telegram would refuse
    for index in range(len(DIMENSIONS)):
        screen = await _score(app, user, screen, EXPECTED[index])
        if index == 1:  # a change of mind: back to the previous question, which shows the saved score
            screen = await app.press(user, screen, _zh("◀ Back"))
            assert f"✓{EXPECTED[1]}" in [label for row in screen.buttons for label, _ in row]
            screen = await _score(app, user, screen, 1)
        screen = await _score(app, user, screen, PERCEIVED[index])
    assert screen.message_id == invitation.message_id
    assert [label for row in screen.buttons for label, _ in row] == [_zh("Skip"), _zh("◀ Back")]

    thanks = await app.say(user, "码头作业 <b>很好</b> 👍")
    assert thanks.text == _zh(
        "Thank you for taking part in our survey! Your answers help us serve you better."
    )
    survey, answers = await _answers(app)
    assert (survey.period, survey.kind, survey.comment) == (
        "2026-Q3",
        SurveyKind.PERIODIC,
        "码头作业 <b>很好</b> 👍",
    )
    assert survey.completed_at is not None
    assert answers == {
        "reliability": (5, 4),
        "responsiveness": (1, 3),  # the expectation changed on the way back
        "assurance": (4, 4),
        "empathy": (5, 5),
        "tangibles": (4, 2),
    }

    update = app.sandbox.press(TOKEN, user, screen, _zh("Skip"))
    refused = await app.sandbox.wait_for_answer(update)
    assert (refused.text, refused.show_alert) == (_zh(ALREADY), True)


async def test_a_restart_halfway_keeps_the_answers_given(database_url: str) -> None:
    async with running_bot(database_url) as first:
        contact_id = await _linked(first, 9911)
        user = first.user(9911, language_code="en")
        await first.say(user, "/start")
        invitation = await _invite(first, user, contact_id)
        screen = await first.press(user, invitation, "Start")
        for value in (5, 4, 3):  # reliability expected and perceived, responsiveness expected
            screen = await _score(first, user, screen, value)
        assert "question 4 of 10" in screen.text
        survey_id = (await _answers(first))[0].id
    async with running_bot(database_url) as second:
        _, answers = await _answers(second)
        assert answers == {"reliability": (5, 4), "responsiveness": (3, None)}
        user = second.user(9911, language_code="en")
        shown = await second.say(user, "/start")
        # the invitation is still on the user's screen; pressing Start again resumes where they stopped
        update = second.sandbox.press_data(TOKEN, user, shown, SurveyStart(survey_id=survey_id).pack())
        screen = await second.sandbox.wait_for_reply(user, after=update, token=TOKEN)
        assert "question 4 of 10" in screen.text
        for value in (2, 5, 5, 4, 4, 3, 3):
            screen = await _score(second, user, screen, value)
        thanks = await second.press(user, screen, "Skip")
        assert thanks.text.startswith("Thank you for taking part")
        survey, answers = await _answers(second)
        assert survey.completed_at is not None
        assert survey.comment is None
        assert answers == {
            "reliability": (5, 4),
            "responsiveness": (3, 2),
            "assurance": (5, 5),
            "empathy": (4, 4),
            "tangibles": (3, 3),
        }


async def test_buttons_naming_another_contacts_survey_are_refused(app: RunningBot) -> None:
    owner_contact = await _linked(app, 9921)
    await _linked(app, 9922)
    owner = app.user(9921, language_code="en")
    intruder = app.user(9922, language_code="zh-hant")
    await app.say(owner, "/start")
    invitation = await _invite(app, owner, owner_contact)
    survey_id = (await _answers(app))[0].id
    own_message = await app.say(intruder, "/start")
    _tw = gettext_for("zh_TW")
    for data in (
        SurveyStart(survey_id=survey_id).pack(),
        SurveyScore(survey_id=survey_id, dimension=0, score=Score.EXPECTATION, value=1).pack(),
        SurveyScore(survey_id=survey_id + 1000, dimension=0, score=Score.EXPECTATION, value=1).pack(),
    ):
        update = app.sandbox.press_data(TOKEN, intruder, own_message, data)
        refused = await app.sandbox.wait_for_answer(update)
        assert (refused.text, refused.show_alert) == (_tw(NOT_FOUND), True)
    update = app.sandbox.press_data(TOKEN, owner, invitation, f"svsc:{survey_id}:0:e:9")
    refused = await app.sandbox.wait_for_answer(update)
    assert refused.text == "Please choose a score from 1 to 5."
    stranger = app.user(9923, language_code="en")
    stranger_message = await app.say(stranger, "/start")
    update = app.sandbox.press_data(
        TOKEN, stranger, stranger_message, SurveyStart(survey_id=survey_id).pack()
    )
    assert (await app.sandbox.wait_for_answer(update)).text == "This button is no longer valid."
    _, answers = await _answers(app)
    assert answers == {}
