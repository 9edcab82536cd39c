"""Complaint SLA escalations every quarter hour, and the market managers' morning complaint digest.

Whether a complaint is overdue is decided in `portcrm.services.complaints.sla` alone (the desk shows the same
clocks); these jobs only address and word it. An overdue clock goes first to the head of the owning
department, then, one working day later if still overdue, to all managers: each level once per complaint and
clock, whatever the recipients, so a level's outbox keys share the prefix f"sla:{id}:{kind}:{level}".
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.calendar import PortCalendar
from portcrm.enums import ComplaintStatus
from portcrm.errors import N_
from portcrm.i18n import gettext_for
from portcrm.jobs import desk_sla
from portcrm.jobs.base import Job, JobContext, JobResult, daily, every_quarter_hour, morning
from portcrm.jobs.desk_sla import Escalated
from portcrm.labels import COMPLAINT_CATEGORY_NAMES, COMPLAINT_STATUS_NAMES, ROLE_NAMES
from portcrm.messaging import outbox
from portcrm.models import Notification
from portcrm.port_time import format_port_time
from portcrm.services.complaints.notices import STAFF_CARD_PREFIX
from portcrm.services.complaints.sla import (
    ACKNOWLEDGE,
    ACKNOWLEDGE_WITHIN_HOURS,
    RESOLVE,
    RESOLVE_WITHIN_DAYS,
    SlaClock,
    TrackedComplaint,
    active_working_time,
    digest_recipients,
    escalation_recipients,
    open_complaints,
)
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)
DIGEST_OLDEST = 5  # complaints named in the digest; the counts cover all

BREACHES = {
    ACKNOWLEDGE: N_("Not acknowledged within {hours} working hours of submission."),
    RESOLVE: N_("Not resolved within {days} working days."),
}


def duration(span: dt.timedelta, locale: str) -> str:
    minutes = int(span.total_seconds()) // 60
    return gettext_for(locale)(N_("{hours} h {minutes} min")).format(
        hours=minutes // 60, minutes=minutes % 60
    )


def escalation_text(item: TrackedComplaint, clock: SlaClock, level: int, locale: str, tz: dt.tzinfo) -> str:
    _ = gettext_for(locale)
    c = item.complaint
    title = (
        _("<b>Complaint {ticket} is overdue</b>")
        if level == 1
        else _("<b>Complaint {ticket} is still overdue</b>, a working day after it was escalated")
    )
    return "\n".join(
        [
            title.format(ticket=c.ticket),
            _(BREACHES[clock.kind]).format(hours=ACKNOWLEDGE_WITHIN_HOURS, days=RESOLVE_WITHIN_DAYS),
            _("Overdue by {duration} of working time.").format(duration=duration(clock.overdue_by, locale)),
            "",
            _("Company: {company}").format(company=html.escape(item.customer_name)),
            _("Category: {category}").format(category=_(COMPLAINT_CATEGORY_NAMES[c.category])),
            _("Department: {department}").format(department=_(ROLE_NAMES[c.department])),
            _("Status: {status}").format(status=_(COMPLAINT_STATUS_NAMES[c.status])),
            _("Filed: {date}").format(date=format_port_time(c.created_at, tz, locale)),
        ]
    )


async def escalate(ctx: JobContext) -> JobResult:
    """Each overdue clock of each open complaint, not waiting for the customer, escalated a level if due."""
    calendar = PortCalendar(ctx.settings)
    async with ctx.db.session() as session:
        tracked = await open_complaints(session, calendar, ctx.now)
    overdue, sent = 0, 0
    escalated: list[Escalated] = []
    for item in tracked:
        if item.sla.paused:
            continue  # the customer has the next move; the clock stands still
        for clock in item.sla.overdue:
            overdue += 1
            async with ctx.db.session() as session, transaction(session):
                count, level = await _escalate(session, ctx, calendar, item, clock)
            sent += count
            if level is not None:
                escalated.append(Escalated(item, clock, level))
    result: JobResult = {"open": len(tracked), "overdue": overdue, "escalations": sent}
    return result | await desk_sla.tell_desk(ctx, calendar, tracked, escalated)


async def _escalate(
    session: AsyncSession, ctx: JobContext, calendar: PortCalendar, item: TrackedComplaint, clock: SlaClock
) -> tuple[int, int | None]:
    """The escalations enqueued, and the level escalated now (None when none was due)."""
    c, settings = item.complaint, ctx.settings
    prefix = f"sla:{c.id}:{clock.kind}"
    first = await _escalated_at(session, f"{prefix}:1")
    if first is None:
        level = 1
    elif await _escalated_at(session, f"{prefix}:2") is None and (
        active_working_time(calendar, first, ctx.now, item.sla.pauses) >= calendar.day_length
    ):
        level = 2
    else:
        return 0, None
    recipients = await escalation_recipients(session, c.department, level, settings)
    if not recipients:
        log.warning("complaint %s is overdue (%s) and no manager can be reached", c.ticket, clock.kind)
    sent = 0
    for recipient in recipients:
        _ = gettext_for(recipient.locale)
        key = f"{prefix}:{level}:{recipient.tag}"
        if await outbox.enqueue(
            session,
            key=key,
            kind="complaint_sla",
            chat_id=recipient.chat_id,
            text=escalation_text(item, clock, level, recipient.locale, settings.tz),
            reply_markup=outbox.inline_keyboard([(_("Open complaint"), f"{STAFF_CARD_PREFIX}:{c.id}")]),
            staff_id=recipient.staff_id,
        ):
            _date_on_job_clock(session, key, ctx.now)
            sent += 1
    log.info("complaint %s overdue (%s): level %s to %s recipients", c.ticket, clock.kind, level, sent)
    return sent, level


async def _escalated_at(session: AsyncSession, level_prefix: str) -> dt.datetime | None:
    """When a level was first escalated (whoever received it), or None if it never was."""
    return await session.scalar(
        select(func.min(Notification.created_at)).where(
            Notification.idempotency_key.startswith(f"{level_prefix}:", autoescape=True)
        )
    )


def _date_on_job_clock(session: AsyncSession, key: str, now: dt.datetime) -> None:
    """Date the new notification on the job's clock: the next level counts its working day from it."""
    for row in session.new:
        if isinstance(row, Notification) and row.idempotency_key == key:
            row.created_at = now


def clock_state(item: TrackedComplaint, locale: str, tz: dt.tzinfo) -> str:
    """One complaint's SLA in a few words: paused, overdue by how long, or due by when."""
    _ = gettext_for(locale)
    clock = item.sla.current
    if item.sla.paused:
        return _("paused: awaiting the customer")
    if clock.overdue:
        late = duration(clock.overdue_by, locale)
        if clock.kind == ACKNOWLEDGE:
            return _("acknowledgement overdue by {duration}").format(duration=late)
        return _("resolution overdue by {duration}").format(duration=late)
    due = format_port_time(clock.due, tz, locale) if clock.due else "—"
    if clock.kind == ACKNOWLEDGE:
        return _("to acknowledge by {date}").format(date=due)
    return _("to resolve by {date}").format(date=due)


def digest_text(tracked: list[TrackedComplaint], locale: str, tz: dt.tzinfo) -> str:
    _ = gettext_for(locale)
    statuses = Counter(item.complaint.status for item in tracked)
    lines = [
        _("<b>Complaints this morning</b>"),
        _("Open: {count}").format(count=len(tracked)),
        _("Not yet acknowledged: {count}").format(count=statuses[ComplaintStatus.SUBMITTED]),
        _("Overdue: {count}").format(count=sum(1 for item in tracked if item.sla.overdue)),
        "",
    ]
    lines += [
        _("{status}: {count}").format(status=_(name), count=statuses[status])
        for status, name in COMPLAINT_STATUS_NAMES.items()
        if statuses[status]
    ]
    lines += ["", _("<b>Oldest open complaints</b>")]
    for item in tracked[:DIGEST_OLDEST]:
        status = _(COMPLAINT_STATUS_NAMES[item.complaint.status])
        company = html.escape(item.customer_name[:80])
        lines.append(f"• {item.complaint.ticket} · {company} · {status} · {clock_state(item, locale, tz)}")
    if len(tracked) > DIGEST_OLDEST:
        lines.append(_("… and {count} more").format(count=len(tracked) - DIGEST_OLDEST))
    return "\n".join(lines)


async def digest(ctx: JobContext) -> JobResult:
    """On working days, the market department's managers (else all managers) get the open complaints."""
    settings, today = ctx.settings, ctx.today
    calendar = PortCalendar(settings)
    if not calendar.is_working_day(today):
        return {"open": 0, "digests": 0}
    async with ctx.db.session() as session:
        tracked = await open_complaints(session, calendar, ctx.now)
    if not tracked:
        return {"open": 0, "digests": 0}
    sent = 0
    async with ctx.db.session() as session, transaction(session):
        for recipient in await digest_recipients(session, settings):
            sent += await outbox.enqueue(
                session,
                key=f"complaint-digest:{recipient.tag}:{today.isoformat()}",
                kind="complaint_digest",
                chat_id=recipient.chat_id,
                text=digest_text(tracked, recipient.locale, settings.tz),
                staff_id=recipient.staff_id,
            )
    return {"open": len(tracked), "digests": sent}


COMPLAINT_SLA = Job(
    "complaint_sla",
    N_("Complaint SLA: escalate complaints not acknowledged or resolved in time"),
    {"minute": "*/15"},
    every_quarter_hour,
    escalate,
)
COMPLAINT_DIGEST = Job(
    "complaint_digest",
    N_("Complaint digest: open and unanswered complaints for the market department's managers"),
    morning(),
    daily,
    digest,
)
