"""The scheduled jobs run now, from inside the demo (`:jobs`, and once at start): what `portcrm jobs run NAME`
does from another shell, for every job or the named ones, each for the period containing this moment."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from portcrm.jobs.base import Job, JobContext, run_claimed
from portcrm.jobs.registry import JOBS
from portcrm.jobs.summaries import describe
from portcrm.settings import Settings
from portcrm.storage.db import Database

log = logging.getLogger(__name__)
Gettext = Callable[[str], str]


def unknown(names: Sequence[str]) -> list[str]:
    known = {job.name for job in JOBS}
    return [name for name in names if name not in known]


async def run_jobs_now(
    db: Database, settings: Settings, gettext: Gettext, names: Sequence[str] = (), *, quiet: bool = False
) -> list[str]:
    """A line per job: what it did, or that its period had run already (left out when `quiet`)."""
    _ = gettext
    now = dt.datetime.now(settings.tz)
    jobs: list[Job] = [job for job in JOBS if not names or job.name in names]
    lines = []
    for job in jobs:
        title, period = _(job.description), job.period(now)
        try:
            result = await run_claimed(job, JobContext(db, settings, now))
        except Exception:  # logged by run_claimed; the other jobs still run
            lines.append(_("{job}: failed; the log says why.").format(job=title))
            continue
        if result is not None:
            summary = describe(job.name, result, _)
            lines.append("⏱ " + _("{job}: {summary}").format(job=title, summary=summary))
        elif not quiet:
            lines.append(_("{job}: already ran for {period}.").format(job=title, period=period))
    return lines
