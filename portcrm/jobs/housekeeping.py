"""Nightly housekeeping: received updates are kept a week after handling (for redeliveries), then dropped."""

from __future__ import annotations

from portcrm.errors import N_
from portcrm.jobs.base import Job, JobContext, JobResult, daily
from portcrm.messaging import inbox


async def forget_handled_updates(ctx: JobContext) -> JobResult:
    async with ctx.db.session() as session:
        return {"updates_forgotten": await inbox.prune(session)}


HOUSEKEEPING = Job(
    "housekeeping",
    N_("Housekeeping: forget Telegram updates handled over a week ago"),
    {"hour": 3, "minute": 30},
    daily,
    forget_handled_updates,
)
