"""Revisit reminders (定期回访): each marketer's due list every morning, a weekly summary for managers.

Which revisit is due is decided in `portcrm.services.care.revisits` alone; these jobs only address and word
it.
"""

from __future__ import annotations

import html
import logging
from collections import defaultdict

from sqlalchemy import select

from portcrm.calendar import PortCalendar
from portcrm.enums import Role
from portcrm.errors import N_
from portcrm.i18n import translation
from portcrm.jobs.base import Job, JobContext, JobResult, daily, morning, weekly
from portcrm.messaging import outbox
from portcrm.models import Staff, StaffRole
from portcrm.services.care.revisits import DueRevisit, due_revisits
from portcrm.services.receivables.ledger import day, fit
from portcrm.services.recipients.staff_alerts import department, staff_members
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)
LISTED = 30  # customers named in one reminder; the rest are counted
WORST = 3  # customers named per account manager in the weekly summary
SUMMARY_LISTED = 25  # account managers named in the weekly summary


def _line(revisit: DueRevisit, locale: str) -> str:
    catalog = translation(locale)
    _, ngettext = catalog.gettext, catalog.ngettext
    if revisit.days_overdue:
        when = ngettext("{days} day overdue", "{days} days overdue", revisit.days_overdue).format(
            days=revisit.days_overdue
        )
    else:
        when = _("due today")
    line = _("• [{grade}] {company} — {when}").format(
        grade=revisit.grade.value, company=html.escape(revisit.customer_name), when=when
    )
    if revisit.last_visit_on is None:
        line += " " + _("(never visited)")
    else:
        line += " " + _("(last visit {date})").format(date=day(revisit.last_visit_on, locale))
    if revisit.verifies:  # due early: a closed complaint's corrective action to verify (the first named)
        ticket, more = revisit.verifies[0], len(revisit.verifies) - 1
        if more:
            line += " · " + ngettext(
                "verify the corrective action of {ticket} and {count} more complaint",
                "verify the corrective action of {ticket} and {count} more complaints",
                more,
            ).format(ticket=ticket, count=more)
        else:
            line += " · " + _("verify the corrective action of {ticket}").format(ticket=ticket)
    return line


def reminder_text(revisits: list[DueRevisit], locale: str) -> str:
    _ = translation(locale).gettext
    lines = [_("<b>Revisits due</b> ({count}), most important first:").format(count=len(revisits)), ""]
    lines += [_line(revisit, locale) for revisit in revisits[:LISTED]]
    if len(revisits) > LISTED:
        lines.append(_("… and {count} more").format(count=len(revisits) - LISTED))
    return fit(lines)


async def remind(ctx: JobContext) -> JobResult:
    """One message per marketer listing their customers due a revisit today or overdue, if any."""
    settings, today = ctx.settings, ctx.today
    async with ctx.db.session() as session:
        calendar = PortCalendar(settings)
        due = await due_revisits(session, None, today, settings.revisit_cadence_days, calendar=calendar)
        by_manager: defaultdict[int, list[DueRevisit]] = defaultdict(list)
        for revisit in due:
            if revisit.account_manager_id is not None:
                by_manager[revisit.account_manager_id].append(revisit)
        async with transaction(session):
            marketers = await session.scalars(
                select(StaffRole.staff_id).where(
                    StaffRole.role == Role.MARKET, StaffRole.staff_id.in_(list(by_manager))
                )
            )
            recipients = await staff_members(session, marketers, settings.default_locale)
            sent = 0
            for staff_id, recipient in recipients.items():
                sent += await outbox.enqueue(
                    session,
                    key=f"revisit:{staff_id}:{today.isoformat()}",
                    kind="revisit_reminder",
                    chat_id=recipient.chat_id,
                    text=reminder_text(by_manager[staff_id], recipient.locale),
                    staff_id=staff_id,
                )
    return {"due": len(due), "reminders": sent}


def summary_text(
    overdue: dict[int | None, list[DueRevisit]], names: dict[int, str], week: str, locale: str
) -> str:
    catalog = translation(locale)
    _, ngettext = catalog.gettext, catalog.ngettext
    total = sum(len(revisits) for revisits in overdue.values())
    lines = [_("<b>Overdue revisits</b>, week {week}: {count} in all").format(week=week, count=total)]
    ranked = sorted(overdue.items(), key=lambda item: (-len(item[1]), names.get(item[0] or 0, "")))
    for manager_id, revisits in ranked[:SUMMARY_LISTED]:
        name = names.get(manager_id) if manager_id is not None else None
        who = html.escape(name) if name else _("No account manager")
        count = ngettext("{count} overdue", "{count} overdue", len(revisits)).format(count=len(revisits))
        lines += ["", f"<b>{who}</b>: {count}"]
        lines += ["  " + _line(revisit, locale) for revisit in revisits[:WORST]]
    if len(ranked) > SUMMARY_LISTED:
        lines += ["", _("… and {count} more").format(count=len(ranked) - SUMMARY_LISTED)]
    return fit(lines)


async def summarise(ctx: JobContext) -> JobResult:
    """Managers hear on Monday morning how many revisits each account manager lets slip, and the worst."""
    settings, today, week = ctx.settings, ctx.today, weekly(ctx.now)
    async with ctx.db.session() as session:
        calendar = PortCalendar(settings)
        due = await due_revisits(session, None, today, settings.revisit_cadence_days, calendar=calendar)
        overdue: defaultdict[int | None, list[DueRevisit]] = defaultdict(list)
        for revisit in due:
            if revisit.days_overdue > 0:
                overdue[revisit.account_manager_id].append(revisit)
        if not overdue:
            return {"overdue": 0, "summaries": 0}
        managers = [staff_id for staff_id in overdue if staff_id is not None]
        async with transaction(session):
            rows = await session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(managers)))
            names = {staff_id: name for staff_id, name in rows}
            sent = 0
            for recipient in await department(session, Role.MANAGER, settings):
                sent += await outbox.enqueue(
                    session,
                    key=f"revisit-summary:{recipient.tag}:{week}",
                    kind="revisit_summary",
                    chat_id=recipient.chat_id,
                    text=summary_text(overdue, names, week, recipient.locale),
                    staff_id=recipient.staff_id,
                )
    total = sum(len(revisits) for revisits in overdue.values())
    log.info("revisit summary for %s: %s overdue, %s summaries", week, total, sent)
    return {"overdue": total, "summaries": sent}


REVISIT_REMINDERS = Job(
    "revisit_reminders",
    N_("Revisit reminders: each marketer's customers due a revisit"),
    morning(),
    daily,
    remind,
)
OVERDUE_REVISITS_WEEKLY = Job(
    "overdue_revisits_weekly",
    N_("Weekly summary of overdue revisits for managers"),
    morning(day_of_week="mon"),
    weekly,
    summarise,
)
