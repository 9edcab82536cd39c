"""SERVQUAL surveys: one invitation per contact and period, scores saved as given, and the gaps by hand."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintCategory, Role, ServqualDimension, SurveyKind
from portcrm.errors import InvalidInput, NotFound
from portcrm.i18n import gettext_for
from portcrm.labels import SERVQUAL_EXPLANATIONS, SERVQUAL_NAMES
from portcrm.models import ChatUser, Complaint, Contact, Customer, Notification, Survey, SurveyAnswer
from portcrm.services.care.surveys import (
    DIMENSIONS,
    Score,
    SurveyCompleted,
    SurveyNotFound,
    SurveyUnfinished,
    finish_survey,
    open_survey,
    record_score,
    survey_gaps,
    survey_progress,
)
from tests.factories import make_contact, make_customer

E, P = Score.EXPECTATION, Score.PERCEPTION
R = ServqualDimension


async def _contact(session: AsyncSession, telegram_user_id: int | None = None, **kw: object) -> Contact:
    customer = await make_customer(session)
    contact = await make_contact(session, customer, telegram_user_id=telegram_user_id, **kw)
    await session.commit()
    return contact


async def _customer_of(session: AsyncSession, contact: Contact) -> Customer:
    customer = await session.get(Customer, contact.customer_id)
    assert customer is not None
    return customer


async def _complete(
    session: AsyncSession, contact: Contact, period: str, scores: dict[R, tuple[int, int]]
) -> None:
    """A survey answered in full: `scores` per dimension, (5, 5) for the ones not named."""
    survey = await open_survey(session, contact.id, SurveyKind.PERIODIC, period, default_locale="zh_CN")
    assert survey is not None
    for index, dimension in enumerate(DIMENSIONS):
        expectation, perception = scores.get(dimension, (5, 5))
        await record_score(session, survey.id, contact.id, index, E, expectation)
        await record_score(session, survey.id, contact.id, index, P, perception)
    await finish_survey(session, survey.id, contact.id, None)


async def test_a_survey_is_opened_once_and_the_invitation_explains_the_dimensions(
    session: AsyncSession,
) -> None:
    contact = await _contact(session, 9101)
    session.add(ChatUser(telegram_user_id=9101, locale="zh_TW"))
    await session.commit()
    contact_id = contact.id
    survey = await open_survey(session, contact_id, SurveyKind.PERIODIC, "2026-Q3", default_locale="zh_CN")
    assert survey is not None
    assert (
        await open_survey(session, contact_id, SurveyKind.PERIODIC, "2026-Q3", default_locale="zh_CN") is None
    )
    assert await session.scalar(select(func.count()).select_from(Survey)) == 1
    [invite] = list(await session.scalars(select(Notification)))
    await session.commit()
    assert (invite.chat_id, invite.idempotency_key) == (9101, f"survey:{survey.id}:invite")
    _tw = gettext_for("zh_TW")
    for dimension in DIMENSIONS:
        assert _tw(SERVQUAL_NAMES[dimension]) in invite.text
        assert _tw(SERVQUAL_EXPLANATIONS[dimension]) in invite.text
    assert _tw("Q{quarter} {year}").format(quarter=3, year=2026) in invite.text  # as people say it
    assert invite.reply_markup == {
        "inline_keyboard": [[{"text": _tw("Start"), "callback_data": f"svst:{survey.id}"}]]
    }


async def test_an_unlinked_contact_gets_the_survey_but_no_message(session: AsyncSession) -> None:
    contact = await _contact(session)
    assert (
        await open_survey(session, contact.id, SurveyKind.PERIODIC, "2026-Q3", default_locale="zh_CN")
        is not None
    )
    assert await session.scalar(select(func.count()).select_from(Notification)) == 0


async def test_a_complaint_survey_names_the_ticket_and_must_be_the_contacts_company(
    session: AsyncSession,
) -> None:
    contact = await _contact(session, 9102, locale="en")
    other = await make_customer(session)
    complaints = [
        Complaint(
            ticket=f"CP-2026-00009{n}",
            customer_id=customer_id,
            category=ComplaintCategory.DELAY,
            department=Role.OPERATIONS,
            description="晚到",
        )
        for n, customer_id in enumerate((contact.customer_id, other.id))
    ]
    session.add_all(complaints)
    await session.commit()
    contact_id, own, foreign = contact.id, complaints[0].id, complaints[1].id
    with pytest.raises(NotFound):
        await open_survey(
            session, contact_id, SurveyKind.AFTER_COMPLAINT, "CP-2026-000091", foreign, default_locale="zh_CN"
        )
    survey = await open_survey(
        session, contact_id, SurveyKind.AFTER_COMPLAINT, "CP-2026-000090", own, default_locale="zh_CN"
    )
    assert survey is not None
    invite = await session.scalar(select(Notification))
    await session.commit()
    assert invite is not None
    assert "Your complaint CP-2026-000090 is closed." in invite.text
    with pytest.raises(InvalidInput):
        await open_survey(session, contact_id, SurveyKind.PERIODIC, "x" * 17, default_locale="zh_CN")


async def test_scores_are_saved_as_given_and_can_be_changed(session: AsyncSession) -> None:
    contact = await _contact(session, 9103)
    contact_id = contact.id
    survey = await open_survey(session, contact_id, SurveyKind.PERIODIC, "2026-Q3", default_locale="zh_CN")
    assert survey is not None
    survey_id = survey.id
    progress = await record_score(session, survey_id, contact_id, 0, E, 5)
    assert (progress.scores, progress.next_step) == ({0: 5}, 1)
    progress = await record_score(session, survey_id, contact_id, 0, P, 3)
    progress = await record_score(session, survey_id, contact_id, 0, E, 4)  # pressed again: replaced
    assert (progress.scores, progress.next_step) == ({0: 4, 1: 3}, 2)
    assert (await survey_progress(session, survey_id, contact_id)).next_step == 2
    with pytest.raises(SurveyUnfinished):
        await finish_survey(session, survey_id, contact_id, None)
    with pytest.raises(InvalidInput):
        await record_score(session, survey_id, contact_id, 1, E, 6)
    with pytest.raises(SurveyNotFound):
        await record_score(session, survey_id, contact_id, 5, E, 3)
    rows = (
        await session.execute(
            select(SurveyAnswer.dimension, SurveyAnswer.expectation, SurveyAnswer.perception)
        )
    ).all()
    await session.commit()
    assert [tuple(row) for row in rows] == [(R.RELIABILITY, 4, 3)]


async def test_another_contacts_survey_is_refused_and_left_alone(session: AsyncSession) -> None:
    owner = await _contact(session, 9104)
    stranger = await _contact(session, 9105)
    colleague = await make_contact(session, await _customer_of(session, owner), telegram_user_id=9106)
    await session.commit()
    owner_id, stranger_id, colleague_id = owner.id, stranger.id, colleague.id
    survey = await open_survey(session, owner_id, SurveyKind.PERIODIC, "2026-Q3", default_locale="zh_CN")
    assert survey is not None
    survey_id = survey.id
    for intruder in (stranger_id, colleague_id, None):
        with pytest.raises(SurveyNotFound):
            await record_score(session, survey_id, intruder, 0, E, 1)
        with pytest.raises(SurveyNotFound):
            await survey_progress(session, survey_id, intruder)
    with pytest.raises(SurveyNotFound):
        await survey_progress(session, 2**70, owner_id)
    assert await session.scalar(select(func.count()).select_from(SurveyAnswer)) == 0


async def test_a_completed_survey_takes_no_more_answers(session: AsyncSession) -> None:
    contact = await _contact(session, 9107)
    contact_id = contact.id
    await _complete(session, contact, "2026-Q3", {})
    survey_id = await session.scalar(select(Survey.id))
    await session.commit()
    assert survey_id is not None
    with pytest.raises(SurveyCompleted):
        await record_score(session, survey_id, contact_id, 0, E, 1)
    with pytest.raises(SurveyCompleted):
        await survey_progress(session, survey_id, contact_id)
    with pytest.raises(SurveyCompleted):
        await finish_survey(session, survey_id, contact_id, "again")
    assert await session.scalar(select(SurveyAnswer.expectation).limit(1)) == 5


async def test_gaps_are_means_over_completed_surveys_per_dimension(session: AsyncSession) -> None:
    a1 = await _contact(session)
    a2 = await make_contact(session, await _customer_of(session, a1))
    b1 = await _contact(session)
    await session.commit()
    customer_a = a1.customer_id
    await _complete(session, a1, "2026-Q3", {R.RELIABILITY: (5, 4), R.RESPONSIVENESS: (5, 2)})
    await _complete(session, a2, "2026-Q3", {R.RELIABILITY: (4, 4), R.RESPONSIVENESS: (3, 3)})
    await _complete(session, b1, "2026-Q3", {R.RELIABILITY: (3, 5), R.RESPONSIVENESS: (3, 5)})
    await _complete(session, b1, "2026-Q2", {R.RELIABILITY: (1, 1), R.RESPONSIVENESS: (1, 1)})
    unfinished = await open_survey(session, a1.id, SurveyKind.PERIODIC, "2026-Q2", default_locale="zh_CN")
    assert unfinished is not None
    await record_score(session, unfinished.id, a1.id, 0, E, 1)
    await record_score(session, unfinished.id, a1.id, 0, P, 1)  # not completed: never counted

    q3 = {g.dimension: g for g in await survey_gaps(session, period="2026-Q3")}
    assert [g for g in q3] == list(DIMENSIONS)
    assert q3[R.RELIABILITY].answers == 3
    assert q3[R.RELIABILITY].expectation == pytest.approx(4.0)  # (5 + 4 + 3) / 3
    assert q3[R.RELIABILITY].perception == pytest.approx(13 / 3)  # (4 + 4 + 5) / 3
    assert q3[R.RELIABILITY].gap == pytest.approx(1 / 3)
    assert q3[R.RESPONSIVENESS].gap == pytest.approx(10 / 3 - 11 / 3)  # (2 + 3 + 5) / 3 - (5 + 3 + 3) / 3
    assert q3[R.EMPATHY].gap == pytest.approx(0.0)

    own = {g.dimension: g for g in await survey_gaps(session, period="2026-Q3", customer_id=customer_a)}
    assert (own[R.RELIABILITY].expectation, own[R.RELIABILITY].perception) == (4.5, 4.0)
    assert own[R.RESPONSIVENESS].gap == pytest.approx(-1.5)  # 2.5 - 4.0

    every = {g.dimension: g for g in await survey_gaps(session)}
    assert every[R.RELIABILITY].answers == 4
    assert every[R.RELIABILITY].gap == pytest.approx(3.5 - 3.25)  # (4+4+5+1)/4 - (5+4+3+1)/4

    empty = await survey_gaps(session, period="2030-Q1")
    assert {(g.answers, g.expectation, g.perception, g.gap) for g in empty} == {(0, None, None, None)}
