"""Monthly grading (动态管理): score every active customer, propose the grades that change, tell the managers.

A proposal changes nothing by itself: the customer keeps its grade until a manager approves it on /grades
(portcrm.services.grading.scores.approve_evaluation). Unchanged customers get no row, so the table is the
history of the changes proposed. The claim runs each month once; a customer also never gets two proposals in
one period.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.errors import N_
from portcrm.i18n import gettext_for
from portcrm.jobs.base import Job, JobContext, JobResult, monthly
from portcrm.messaging import outbox
from portcrm.models import GradeEvaluation
from portcrm.services.grading.scores import Assessment, score_customers
from portcrm.services.recipients.staff_alerts import department
from portcrm.settings import Settings
from portcrm.storage.transaction import transaction

PROPOSALS_PER_INSERT = 1000
SHOWN = 5  # proposals listed with their reasons in the summary; the rest are counted
_NAME_LENGTH = 60
MAX_TEXT = 4096


async def run(ctx: JobContext) -> JobResult:
    period = monthly(ctx.now)
    as_of = ctx.today - dt.timedelta(days=1)  # twelve whole months, ending the day before the run
    settings = ctx.settings
    async with ctx.db.session() as session:
        assessments = await score_customers(
            session, as_of, settings.grading_weights, settings.grading_thresholds, tz=settings.tz
        )
    changed = sorted(
        (a for a in assessments if a.changed),
        key=lambda a: (not a.upgrade, -a.score if a.upgrade else a.score, a.customer_id),
    )
    async with ctx.db.session() as session, transaction(session):
        proposed = await _propose(session, changed, period)
        notified = await _notify_managers(session, settings, period, len(assessments), changed)
    upgrades = sum(a.upgrade for a in changed)
    return {
        "assessed": len(assessments),
        "proposed": proposed,
        "upgrades": upgrades,
        "downgrades": len(changed) - upgrades,
        "notified": notified,
    }


async def _propose(session: AsyncSession, changed: Sequence[Assessment], period: str) -> int:
    already = set(
        await session.scalars(select(GradeEvaluation.customer_id).where(GradeEvaluation.period == period))
    )
    fresh = [a for a in changed if a.customer_id not in already]
    # bulk inserts in slices, not ORM objects: a first run can propose tens of thousands of changes, and
    # each slice lets the event loop (the chat) run before the next
    for first in range(0, len(fresh), PROPOSALS_PER_INSERT):
        rows = [
            {
                "customer_id": a.customer_id,
                "period": period,
                "previous_grade": a.current,
                "proposed_grade": a.grade,
                "score": a.score,
                "reasons": a.reasons(),
            }
            for a in fresh[first : first + PROPOSALS_PER_INSERT]
        ]
        await session.execute(insert(GradeEvaluation), rows)
    return len(fresh)


async def _notify_managers(
    session: AsyncSession, settings: Settings, period: str, assessed: int, changed: Sequence[Assessment]
) -> int:
    """One summary per manager (or one to the managers' group chat), in the reader's language."""
    sent = 0
    for recipient in await department(session, Role.MANAGER, settings):
        sent += await outbox.enqueue(
            session,
            key=f"grading:{period}:{recipient.tag}",
            kind="grading",
            chat_id=recipient.chat_id,
            text=summary(period, assessed, changed, gettext_for(recipient.locale)),
            staff_id=recipient.staff_id,
        )
    return sent


def summary(period: str, assessed: int, changed: Sequence[Assessment], _: Callable[[str], str]) -> str:
    """Counts, then the first few proposals with their reasons, as many as fit one message."""
    upgrades = sum(a.upgrade for a in changed)
    head = [
        _("<b>Grade review {period}</b>").format(period=html.escape(period)),
        _("Customers assessed: {count}").format(count=assessed),
        _("Upgrades proposed: {count}").format(count=upgrades),
        _("Downgrades proposed: {count}").format(count=len(changed) - upgrades),
    ]
    if changed:
        tail = _("Every customer keeps its grade until a manager approves the proposal.")
    else:
        tail = _("No grade changes are proposed this time.")
    blocks: list[str] = []
    budget = MAX_TEXT - len("\n".join(head)) - len(tail) - 100  # room for the "… and N more" line
    for a in changed[:SHOWN]:
        block = _block(a, _)
        if len(block) + 2 > budget:
            break
        blocks.append(block)
        budget -= len(block) + 2
    parts = ["\n".join(head), *blocks]
    if len(changed) > len(blocks):
        parts.append(_("… and {count} more").format(count=len(changed) - len(blocks)))
    return "\n\n".join([*parts, tail])


def _block(a: Assessment, _: Callable[[str], str]) -> str:
    name = a.name if len(a.name) <= _NAME_LENGTH else a.name[: _NAME_LENGTH - 1] + "…"
    title = _("<b>{name}</b>: {previous} → {proposed}, score {score}").format(
        name=html.escape(name), previous=a.current.value, proposed=a.grade.value, score=a.score
    )
    return "\n".join([title, *(f"• {html.escape(c.reason.render(_))} ({c.points:.0f})" for c in a.criteria)])


GRADING = Job(
    name="grading",
    description=N_("Monthly grading: propose grade changes to managers"),
    cron={"day": 1, "hour": 6, "minute": 0},
    period=monthly,
    run=run,
)
