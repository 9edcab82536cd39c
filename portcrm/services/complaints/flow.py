"""A complaint's life after intake: the staff's steps, the customer's answers, and the notices between them.

Status path: submitted → acknowledged → investigating ⇄ awaiting customer → resolution proposed → resolved
(accepted; a rejection reopens the investigation) → closed (with root cause and corrective action) → rated.
Every status change appends a "status" event and, in the same transaction, a notice to the complainant;
each move of the customer's (an answer, an acceptance, a rejection) is also told to the handler and the desk.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintStatus
from portcrm.errors import N_, Conflict, InvalidInput
from portcrm.models import Complaint, ComplaintEvent
from portcrm.models.base import utcnow
from portcrm.services.complaints import topic_news
from portcrm.services.complaints.intake import check_text, load_complaint
from portcrm.services.complaints.notices import notify_complainant, tell_desk
from portcrm.settings import Locale, Settings
from portcrm.storage.transaction import transactional

log = logging.getLogger(__name__)
S = ComplaintStatus
_ROOT_CAUSE_LENGTH = 64  # the column's width: a short classification, the story goes in the action


class AlreadyRated(Conflict):
    message = N_("Complaint {ticket} has already been rated. Thank you!")


@transactional
async def acknowledge(
    session: AsyncSession, complaint_id: int, staff_id: int, *, default_locale: Locale
) -> Complaint:
    """The handler takes the complaint on; it is assigned to them unless someone already has it."""
    complaint = await load_complaint(session, complaint_id, statuses=[S.SUBMITTED])
    complaint.acknowledged_at = utcnow()
    complaint.assigned_to_id = complaint.assigned_to_id or staff_id
    return await _change(session, complaint, S.ACKNOWLEDGED, default_locale, staff_id=staff_id)


@transactional
async def start_investigation(
    session: AsyncSession, complaint_id: int, staff_id: int, *, default_locale: Locale
) -> Complaint:
    complaint = await load_complaint(session, complaint_id, statuses=[S.ACKNOWLEDGED])
    return await _change(session, complaint, S.INVESTIGATING, default_locale, staff_id=staff_id)


@transactional
async def ask_customer(
    session: AsyncSession,
    complaint_id: int,
    staff_id: int,
    question: str,
    *,
    default_locale: Locale,
) -> Complaint:
    complaint = await load_complaint(session, complaint_id, statuses=[S.INVESTIGATING])
    text = check_text(question)
    return await _change(
        session, complaint, S.AWAITING_CUSTOMER, default_locale, staff_id=staff_id, text=text
    )


@transactional
async def customer_answers(
    session: AsyncSession,
    complaint_id: int,
    customer_id: int,
    contact_id: int | None,
    answer: str,
    *,
    settings: Settings,
) -> Complaint:
    """The customer's answer to the staff's question, as a "message" event; the investigation goes on."""
    complaint = await load_complaint(
        session, complaint_id, customer_id=customer_id, statuses=[S.AWAITING_CUSTOMER]
    )
    text = check_text(answer)
    session.add(ComplaintEvent(complaint_id=complaint.id, kind="message", contact_id=contact_id, text=text))
    event = await _step(session, complaint, S.INVESTIGATING, settings.default_locale, contact_id=contact_id)
    await tell_desk(session, complaint, event, text, settings)
    await topic_news.customer_said(session, complaint, event, text, settings.default_locale)
    return complaint


@transactional
async def propose_resolution(
    session: AsyncSession,
    complaint_id: int,
    staff_id: int,
    resolution: str,
    *,
    default_locale: Locale,
) -> Complaint:
    complaint = await load_complaint(session, complaint_id, statuses=[S.INVESTIGATING])
    complaint.resolution = check_text(resolution)
    return await _change(
        session,
        complaint,
        S.RESOLUTION_PROPOSED,
        default_locale,
        staff_id=staff_id,
        text=complaint.resolution,
    )


@transactional
async def customer_accepts(
    session: AsyncSession,
    complaint_id: int,
    customer_id: int,
    contact_id: int | None,
    *,
    settings: Settings,
) -> Complaint:
    """The customer agrees to the proposal: the complaint is resolved, and its handler may close it."""
    complaint = await load_complaint(
        session, complaint_id, customer_id=customer_id, statuses=[S.RESOLUTION_PROPOSED]
    )
    complaint.resolved_at = utcnow()
    event = await _step(session, complaint, S.RESOLVED, settings.default_locale, contact_id=contact_id)
    await tell_desk(session, complaint, event, None, settings)
    return complaint


@transactional
async def customer_rejects(
    session: AsyncSession,
    complaint_id: int,
    customer_id: int,
    contact_id: int | None,
    reason: str,
    *,
    settings: Settings,
) -> Complaint:
    """The customer turns the proposal down and says why; the investigation reopens."""
    complaint = await load_complaint(
        session, complaint_id, customer_id=customer_id, statuses=[S.RESOLUTION_PROPOSED]
    )
    text = check_text(reason)
    locale = settings.default_locale
    event = await _step(session, complaint, S.INVESTIGATING, locale, contact_id=contact_id, text=text)
    await tell_desk(session, complaint, event, text, settings)
    return complaint


@transactional
async def close(
    session: AsyncSession,
    complaint_id: int,
    staff_id: int,
    root_cause: str,
    corrective_action: str,
    *,
    default_locale: Locale,
) -> Complaint:
    """Only a resolved complaint closes, and only with the root cause and what stops it recurring."""
    complaint = await load_complaint(session, complaint_id, statuses=[S.RESOLVED])
    cause, action = (root_cause or "").strip(), (corrective_action or "").strip()
    if not cause or not action:
        raise InvalidInput(N_("Closing a complaint needs both the root cause and the corrective action."))
    if len(cause) > _ROOT_CAUSE_LENGTH:
        raise InvalidInput(N_("The root cause must fit in {limit} characters."), limit=_ROOT_CAUSE_LENGTH)
    complaint.root_cause, complaint.corrective_action = cause, check_text(action)
    complaint.closed_at = utcnow()
    return await _change(session, complaint, S.CLOSED, default_locale, staff_id=staff_id)


@transactional
async def expect_customer_step(
    session: AsyncSession, complaint_id: int, customer_id: int, status: ComplaintStatus
) -> Complaint:
    """Check a button before asking the customer for text: their complaint, still at that stage."""
    return await load_complaint(session, complaint_id, customer_id=customer_id, statuses=[status])


@transactional
async def expect_customer_writes(session: AsyncSession, complaint_id: int, customer_id: int) -> Complaint:
    """Check "Write to the desk" before asking for the message: their complaint, at a stage that takes one
    (while a step of theirs is awaited, its own button answers)."""
    return await load_complaint(
        session,
        complaint_id,
        customer_id=customer_id,
        statuses=[S.SUBMITTED, S.ACKNOWLEDGED, S.INVESTIGATING, S.CLOSED],
    )


@transactional
async def rate(
    session: AsyncSession,
    complaint_id: int,
    customer_id: int,
    contact_id: int | None,
    score: int,
    *,
    default_locale: Locale = "zh_CN",
) -> Complaint:
    """Satisfaction 1-5 once the complaint is closed, once. The same score pressed again before a comment
    is the same rating, so the comment's question (which may not have arrived) can be asked again."""
    complaint = await load_complaint(session, complaint_id, customer_id=customer_id, statuses=[S.CLOSED])
    if complaint.satisfaction == score and complaint.satisfaction_comment is None:
        return complaint
    if complaint.satisfaction is not None:
        raise AlreadyRated(ticket=complaint.ticket)
    if not 1 <= score <= 5:
        raise InvalidInput(N_("Please rate from 1 to 5."))
    complaint.satisfaction = score
    session.add(ComplaintEvent(complaint_id=complaint.id, kind="rating", contact_id=contact_id))
    await topic_news.rating_posted(session, complaint, default_locale)
    return complaint


@transactional
async def comment_rating(
    session: AsyncSession,
    complaint_id: int,
    customer_id: int,
    comment: str,
    *,
    default_locale: Locale = "zh_CN",
) -> Complaint:
    """The optional words after a rating; they go on the complaint and its "rating" event."""
    complaint = await load_complaint(session, complaint_id, customer_id=customer_id, statuses=[S.CLOSED])
    if complaint.satisfaction is None or complaint.satisfaction_comment is not None:
        raise AlreadyRated(ticket=complaint.ticket)
    complaint.satisfaction_comment = check_text(comment)
    event = await session.scalar(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "rating")
        .order_by(ComplaintEvent.id.desc())
        .limit(1)
    )
    if event is not None:
        event.text = complaint.satisfaction_comment
    await topic_news.rating_posted(session, complaint, default_locale)
    return complaint


async def _change(
    session: AsyncSession,
    complaint: Complaint,
    to: ComplaintStatus,
    default_locale: Locale,
    *,
    staff_id: int | None = None,
    text: str | None = None,
) -> Complaint:
    await _step(session, complaint, to, default_locale, staff_id=staff_id, text=text)
    return complaint


async def _step(
    session: AsyncSession,
    complaint: Complaint,
    to: ComplaintStatus,
    default_locale: Locale,
    *,
    staff_id: int | None = None,
    contact_id: int | None = None,
    text: str | None = None,
) -> ComplaintEvent:
    """The status step, its event and the complainant's notice, in the caller's transaction."""
    event = ComplaintEvent(
        complaint_id=complaint.id,
        kind="status",
        from_status=complaint.status,
        to_status=to,
        staff_id=staff_id,
        contact_id=contact_id,
        text=text,
    )
    complaint.status = to
    session.add(event)
    await session.flush()
    await notify_complainant(session, complaint, event, default_locale)
    await topic_news.status_posted(session, complaint, event, default_locale)
    log.info("complaint %s: %s → %s", complaint.ticket, event.from_status, to)
    return event
