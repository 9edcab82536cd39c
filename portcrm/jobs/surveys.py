"""Satisfaction surveys sent on a schedule: each quarter to key customers, and after every closed complaint.

Both go through open_survey, which opens one survey per contact, kind and period; a re-run, or a run that
overlaps an earlier one, therefore asks nobody twice. Only contacts linked to Telegram who have not blocked
the bot are asked: a survey nobody can receive would only sit in the table as unanswered.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintStatus, CustomerStatus, Grade, SurveyKind
from portcrm.errors import N_, DomainError
from portcrm.jobs.base import Job, JobContext, JobResult, daily, quarterly
from portcrm.models import ChatUser, Complaint, Contact, Customer, Survey
from portcrm.services.care.surveys import open_survey
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)

SURVEYED_GRADES = (Grade.A, Grade.B)
COMPLAINT_LOOKBACK = dt.timedelta(days=7)  # a complaint missed by a failed run is still asked about later


def previous_quarter(day: dt.date) -> str:
    """The quarter that ended before the one containing `day`, as "YYYY-Qn"."""
    first_of_quarter = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    last = first_of_quarter - dt.timedelta(days=1)
    return f"{last.year}-Q{(last.month - 1) // 3 + 1}"


def _reachable() -> ColumnElement[bool]:
    """Linked to Telegram and not blocking the bot (a linked user without a chat row has not blocked it)."""
    blocked = exists().where(
        ChatUser.telegram_user_id == Contact.telegram_user_id, ChatUser.blocked_at.is_not(None)
    )
    return Contact.telegram_user_id.is_not(None) & ~blocked


async def _open(
    ctx: JobContext,
    session: AsyncSession,
    contact_id: int,
    kind: SurveyKind,
    period: str,
    complaint_id: int | None,
) -> bool | None:
    """True when opened, False when it already was; None when refused (logged, the others go on)."""
    try:
        survey = await open_survey(
            session, contact_id, kind, period, complaint_id, default_locale=ctx.settings.default_locale
        )
    except DomainError:
        log.warning("survey %s %s for contact %s refused", kind, period, contact_id, exc_info=True)
        return None
    return survey is not None


async def run_quarterly(ctx: JobContext) -> JobResult:
    """Grade A and B customers' primary contacts are asked about the quarter that just ended."""
    period = previous_quarter(ctx.today)
    async with ctx.db.session() as session:
        main_contact = func.min(Contact.id)  # one per customer, should several be marked primary
        async with transaction(session):
            contact_ids = list(
                await session.scalars(
                    select(main_contact)
                    .join(Customer, Customer.id == Contact.customer_id)
                    .where(Customer.status == CustomerStatus.ACTIVE, Customer.grade.in_(SURVEYED_GRADES))
                    .where(Contact.is_primary.is_(True), _reachable())
                    .group_by(Contact.customer_id)
                    .order_by(Contact.customer_id)
                )
            )
        outcomes = [await _open(ctx, session, cid, SurveyKind.PERIODIC, period, None) for cid in contact_ids]
    return {"period": period, **_counts(outcomes)}


async def run_after_complaints(ctx: JobContext) -> JobResult:
    """Each complaint closed in the last days gets one after-complaint survey for its complainant."""
    since = ctx.now - COMPLAINT_LOOKBACK
    async with ctx.db.session() as session:
        surveyed = exists().where(
            Survey.complaint_id == Complaint.id, Survey.kind == SurveyKind.AFTER_COMPLAINT
        )
        async with transaction(session):
            rows = list(
                await session.execute(
                    select(Complaint.id, Complaint.ticket, Complaint.contact_id)
                    .join(Contact, Contact.id == Complaint.contact_id)
                    .where(Complaint.status == ComplaintStatus.CLOSED)
                    .where(Complaint.closed_at >= since, Complaint.closed_at <= ctx.now)
                    .where(~surveyed, _reachable())
                    .order_by(Complaint.closed_at, Complaint.id)
                )
            )
        outcomes = [
            await _open(ctx, session, contact_id, SurveyKind.AFTER_COMPLAINT, ticket, complaint_id)
            for complaint_id, ticket, contact_id in rows
        ]
    return _counts(outcomes)


def _counts(outcomes: list[bool | None]) -> JobResult:
    return {
        "opened": outcomes.count(True),
        "already": outcomes.count(False),
        "refused": outcomes.count(None),
    }


QUARTERLY_SURVEYS = Job(
    name="quarterly_surveys",
    description=N_("Quarterly satisfaction surveys to grade A and B customers"),
    # the second Monday: the quarter's first days are holidays in January and October (元旦, 国庆节)
    cron={"month": "1,4,7,10", "day": "2nd mon", "hour": 10, "minute": 0},
    period=quarterly,
    run=run_quarterly,
)

COMPLAINT_SURVEYS = Job(
    name="complaint_surveys",
    description=N_("Satisfaction surveys after closed complaints"),
    cron={"hour": 10, "minute": 30},
    period=daily,
    run=run_after_complaints,
)
