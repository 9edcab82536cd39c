"""SERVQUAL satisfaction surveys: the invitation, the answers as they are given, and the gaps managers chart.

A survey asks, for each of the five service-quality dimensions in order, what the customer expects (1-5) and
how the port did (1-5). Every score is saved the moment it is given, so a survey left halfway (or a bot
restart) loses nothing, and pressing a score again simply replaces it.
"""

from __future__ import annotations

import enum
import html
import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ServqualDimension, SurveyKind
from portcrm.errors import N_, Conflict, InvalidInput, NotFound
from portcrm.i18n import gettext_for
from portcrm.labels import SERVQUAL_EXPLANATIONS, SERVQUAL_NAMES, period_label
from portcrm.messaging import outbox
from portcrm.models import ChatUser, Complaint, Contact, Survey, SurveyAnswer
from portcrm.models.base import utcnow
from portcrm.services.care.inquiries import check_text
from portcrm.services.recipients.language import recipient_locale
from portcrm.settings import Locale
from portcrm.storage.transaction import transactional

log = logging.getLogger(__name__)

DIMENSIONS = tuple(ServqualDimension)  # the order the questions are asked in
STEPS = len(DIMENSIONS) * 2  # an expectation and a perception for each
# the invitation's Start button, "svst:<survey id>", written here and unpacked by bot/ui/callbacks/surveys.py
START_PREFIX = "svst"
_PERIOD_LENGTH = 16  # the column's width
_MAX_ID = 2**63 - 1


class Score(enum.StrEnum):
    EXPECTATION = "e"
    PERCEPTION = "p"


class SurveyNotFound(NotFound):
    # also the answer for another contact's survey: "not yours" must not differ from "not there"
    message = N_("That survey was not found.")


class SurveyCompleted(Conflict):
    message = N_("You have already answered this survey. Thank you!")


class SurveyUnfinished(Conflict):
    message = N_("Please answer all the questions first.")


@dataclass(frozen=True, slots=True)
class SurveyProgress:
    survey_id: int
    scores: dict[int, int]  # step → score; step = 2 × dimension index (+1 for the perception)

    @property
    def next_step(self) -> int | None:
        """The first question not yet answered; None when only the comment is left."""
        return next((step for step in range(STEPS) if step not in self.scores), None)


@dataclass(frozen=True, slots=True)
class DimensionGap:
    dimension: ServqualDimension
    answers: int
    expectation: float | None  # means over completed surveys; None without answers
    perception: float | None
    gap: float | None  # perception − expectation: negative where the port falls short


def question_at(step: int) -> tuple[ServqualDimension, Score]:
    return DIMENSIONS[step // 2], Score.PERCEPTION if step % 2 else Score.EXPECTATION


@transactional
async def open_survey(
    session: AsyncSession,
    contact_id: int,
    kind: SurveyKind,
    period: str,
    complaint_id: int | None = None,
    *,
    default_locale: Locale,
) -> Survey | None:
    """Create the survey and invite the contact; None when this contact already has it for this period."""
    if not period or len(period) > _PERIOD_LENGTH:
        raise InvalidInput(N_("A survey period must be 1 to {limit} characters."), limit=_PERIOD_LENGTH)
    contact = await session.get(Contact, contact_id)
    complaint = await session.get(Complaint, complaint_id) if complaint_id else None
    if contact is None or (
        complaint_id and (complaint is None or complaint.customer_id != contact.customer_id)
    ):
        raise NotFound()
    exists = await session.scalar(
        select(Survey.id).where(Survey.contact_id == contact.id, Survey.kind == kind, Survey.period == period)
    )
    if exists is not None:
        return None
    survey = Survey(
        customer_id=contact.customer_id,
        contact_id=contact.id,
        kind=kind,
        period=period,
        complaint_id=complaint_id,
    )
    session.add(survey)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent run opened it first (PostgreSQL)
        await session.rollback()
        return None
    if contact.telegram_user_id is not None:
        await _invite(session, survey, contact, complaint, default_locale)
    log.info("survey %s (%s %s) opened for contact %s", survey.id, kind, period, contact.id)
    return survey


@transactional
async def survey_progress(session: AsyncSession, survey_id: int, contact_id: int | None) -> SurveyProgress:
    """Where the contact stands in their open survey: what to ask next, and the scores given so far."""
    survey = await _open_survey(session, survey_id, contact_id)
    return await _progress(session, survey)


@transactional
async def record_score(
    session: AsyncSession,
    survey_id: int,
    contact_id: int | None,
    dimension_index: int,
    score: Score,
    value: int,
) -> SurveyProgress:
    """Save one score at once (replacing an earlier one for the same question)."""
    if not 0 <= dimension_index < len(DIMENSIONS):
        raise SurveyNotFound()
    if not 1 <= value <= 5:
        raise InvalidInput(N_("Please choose a score from 1 to 5."))
    survey = await _open_survey(session, survey_id, contact_id)
    dimension = DIMENSIONS[dimension_index]
    answer = await session.scalar(
        select(SurveyAnswer)
        .where(SurveyAnswer.survey_id == survey.id, SurveyAnswer.dimension == dimension)
        .with_for_update()
    )
    if answer is None:
        answer = SurveyAnswer(survey_id=survey.id, dimension=dimension)
        session.add(answer)
    if score == Score.EXPECTATION:
        answer.expectation = value
    else:
        answer.perception = value
    await session.flush()
    return await _progress(session, survey)


@transactional
async def finish_survey(
    session: AsyncSession, survey_id: int, contact_id: int | None, comment: str | None
) -> Survey:
    """Complete the survey, with the optional comment, once every score is given."""
    survey = await _open_survey(session, survey_id, contact_id)
    if (await _progress(session, survey)).next_step is not None:
        raise SurveyUnfinished()
    survey.comment = check_text(comment) if comment is not None else None
    survey.completed_at = utcnow()
    log.info("survey %s completed", survey.id)
    return survey


@transactional
async def survey_gaps(
    session: AsyncSession, period: str | None = None, customer_id: int | None = None
) -> list[DimensionGap]:
    """Mean expectation, mean perception and their gap per dimension, over completed surveys."""
    query = (
        select(
            SurveyAnswer.dimension,
            func.count(),
            func.avg(SurveyAnswer.expectation),
            func.avg(SurveyAnswer.perception),
        )
        .join(Survey, Survey.id == SurveyAnswer.survey_id)
        .where(
            Survey.completed_at.is_not(None),
            SurveyAnswer.expectation.is_not(None),
            SurveyAnswer.perception.is_not(None),
        )
        .group_by(SurveyAnswer.dimension)
    )
    if period is not None:
        query = query.where(Survey.period == period)
    if customer_id is not None:
        query = query.where(Survey.customer_id == customer_id)
    rows = {dimension: (count, e, p) for dimension, count, e, p in await session.execute(query)}
    gaps = []
    for dimension in DIMENSIONS:
        count, e, p = rows.get(dimension, (0, None, None))
        if not count:
            gaps.append(DimensionGap(dimension, 0, None, None, None))
        else:
            gaps.append(DimensionGap(dimension, count, float(e), float(p), float(p) - float(e)))
    return gaps


async def _open_survey(session: AsyncSession, survey_id: int, contact_id: int | None) -> Survey:
    survey = await session.get(Survey, survey_id, with_for_update=True) if 0 < survey_id <= _MAX_ID else None
    if survey is None or contact_id is None or survey.contact_id != contact_id:
        raise SurveyNotFound()
    if survey.completed_at is not None:
        raise SurveyCompleted()
    return survey


async def _progress(session: AsyncSession, survey: Survey) -> SurveyProgress:
    answers = await session.scalars(select(SurveyAnswer).where(SurveyAnswer.survey_id == survey.id))
    scores = {}
    for answer in answers:
        step = DIMENSIONS.index(answer.dimension) * 2
        given = {step: answer.expectation, step + 1: answer.perception}
        scores.update({at: value for at, value in given.items() if value is not None})
    return SurveyProgress(survey.id, scores)


async def _invite(
    session: AsyncSession,
    survey: Survey,
    contact: Contact,
    complaint: Complaint | None,
    default_locale: Locale,
) -> None:
    assert contact.telegram_user_id is not None
    chat_user = await session.get(ChatUser, contact.telegram_user_id)
    _ = gettext_for(recipient_locale(chat_user, contact.locale, default_locale))
    if complaint is not None:
        intro = _("Your complaint {ticket} is closed. How well did we handle it?").format(
            ticket=html.escape(complaint.ticket)
        )
    else:
        intro = _("How well did we serve you in {period}?").format(period=period_label(survey.period, _))
    how = _("For each, tell us what you expect (1 to 5) and how we did (1 to 5). It takes about two minutes.")
    lines = [
        _("<b>Service quality survey</b>"),
        intro,
        "",
        _("Five sides of our service, two quick taps each:"),
    ]
    lines += [f"• <b>{_(SERVQUAL_NAMES[d])}</b>: {_(SERVQUAL_EXPLANATIONS[d])}" for d in DIMENSIONS]
    lines += ["", how]
    await outbox.enqueue(
        session,
        key=f"survey:{survey.id}:invite",
        kind="survey",
        chat_id=contact.telegram_user_id,
        text="\n".join(lines),
        reply_markup=outbox.inline_keyboard([(_("Start"), f"{START_PREFIX}:{survey.id}")]),
        contact_id=contact.id,
    )
