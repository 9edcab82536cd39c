"""The SLA sweep's part for the forum-topic desk: escalations told in the group, titles kept current.

A sweep can find hundreds of complaints overdue at once (a morning after a holiday), and a group takes about
20 messages a minute. So a few escalations (up to TOPIC_POSTS) are posted into their complaints' topics,
and more go out as one digest in the group's General topic: as few messages as fit Telegram's 4096
characters (DIGEST_CHUNK each). Topic titles are queued only when their SLA bucket changed and not more
often than `topics.MIN_TITLE_INTERVAL` per topic; the sender paces them within the group's limit behind the
digest, which is queued first.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from sqlalchemy import select

from portcrm.calendar import PortCalendar
from portcrm.i18n import gettext_for
from portcrm.jobs.base import JobContext, JobResult
from portcrm.messaging import outbox
from portcrm.models import Notification
from portcrm.services.complaints import topics
from portcrm.services.complaints.notices import clip
from portcrm.services.complaints.sla import ACKNOWLEDGE, SlaClock, TrackedComplaint
from portcrm.storage.transaction import transaction

TOPIC_POSTS = 3  # escalations posted into their topics; beyond, one digest in General
DIGEST_CHUNK = 3800  # characters of one digest message, under Telegram's 4096


@dataclass(frozen=True, slots=True)
class Escalated:
    item: TrackedComplaint
    clock: SlaClock
    level: int


def _line(escalated: Escalated, locale: str) -> str:
    """One line per complaint: its ticket, company and the clock escalated (a short line: 200 of them
    make three messages)."""
    from portcrm.jobs.complaint_sla import duration

    _ = gettext_for(locale)
    c = escalated.item.complaint
    late = duration(escalated.clock.overdue_by, locale)
    what = (
        _("acknowledgement overdue by {duration}")
        if escalated.clock.kind == ACKNOWLEDGE
        else _("resolution overdue by {duration}")
    ).format(duration=late)
    return f"⚠ {c.ticket} · {html.escape(clip(escalated.item.customer_name, 24))} · {what}"


def _per_complaint(escalated: list[Escalated]) -> list[Escalated]:
    """The latest clock escalated of each complaint (resolution over acknowledgement), in order."""
    found: dict[int, Escalated] = {}
    for item in escalated:
        found[item.item.complaint.id] = item
    return list(found.values())


def chunks(head: str, lines: list[str], limit: int = DIGEST_CHUNK) -> list[str]:
    """The lines under `head`, cut into messages of at most `limit` characters, whole lines each."""
    messages, current = [], [head]
    for line in lines:
        if sum(len(part) + 1 for part in current) + len(line) > limit:
            messages.append("\n".join(current))
            current = [head]
        current.append(line)
    messages.append("\n".join(current))
    return messages


async def tell_desk(
    ctx: JobContext, calendar: PortCalendar, tracked: list[TrackedComplaint], escalated: list[Escalated]
) -> JobResult:
    """Nothing (an empty result) while no desk group is attached."""
    locale = ctx.settings.default_locale
    async with ctx.db.session() as session, transaction(session):
        chat_id = await topics.desk_chat(session)
        if chat_id is None:
            return {}
        stamp = ctx.now.isoformat(timespec="minutes")
        posted = digests = 0
        escalated = _per_complaint(escalated)
        if len(escalated) <= TOPIC_POSTS:
            for found in escalated:
                key = f"sla:{found.clock.kind}:{found.level}"
                posted += await topics.post(session, found.item.complaint, key, _line(found, locale))
        else:
            _ = gettext_for(locale)
            head = _("<b>SLA escalations</b> ({count})").format(count=len(escalated))
            for n, text in enumerate(chunks(head, [_line(found, locale) for found in escalated])):
                digests += await outbox.enqueue(
                    session,
                    key=f"desk-sla:{chat_id}:{stamp}:{n}",
                    kind=topics.KIND,
                    chat_id=chat_id,
                    text=text,
                )
    titles = 0
    for item in tracked:
        async with ctx.db.session() as session, transaction(session):
            pending = await session.scalar(
                select(Notification.id).where(
                    Notification.idempotency_key.startswith(
                        f"desk:{item.complaint.id}:title:", autoescape=True
                    ),
                    Notification.status == outbox.PENDING,
                )
            )
            if pending is None:
                titles += await topics.retitle(
                    session, item.complaint, item.sla, item.customer_name, calendar, locale, ctx.now
                )
    return {"desk_posts": posted, "desk_digests": digests, "desk_titles": titles}
