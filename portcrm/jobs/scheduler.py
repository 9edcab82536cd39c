"""Runs the registered jobs on their cron schedules in the port's time zone, each period once.

APScheduler's default misfire grace of one second would silently skip a run whose moment passed while the
event loop was busy or the process was down; we give it generous grace, coalesce missed runs into one, and at
start-up catch up the latest missed period of each job (within a grace window) — the claim in job_runs makes
any of these a no-op when the period already ran, here or in another instance.

Where a run happens is the runner's choice: here, in this process (`InProcess`, the default), or in a
child process (the bot's, bot/runtime/job_child.py), so that a job's memory leaves with the child.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from portcrm.jobs import base
from portcrm.jobs.base import Job, JobContext, JobResult, run_claimed
from portcrm.jobs.registry import JOBS
from portcrm.settings import Settings
from portcrm.storage.db import Database

log = logging.getLogger(__name__)

# How far back a missed run is still worth doing at start-up, by the job's period.
CATCH_UP_GRACE = {
    base.every_quarter_hour: dt.timedelta(minutes=15),
    base.hourly: dt.timedelta(hours=1),
    base.daily: dt.timedelta(hours=12),
    base.weekly: dt.timedelta(days=3),
    base.monthly: dt.timedelta(days=10),
    base.quarterly: dt.timedelta(days=30),
}
MISFIRE_GRACE_SECONDS = 3600


def trigger(job: Job, settings: Settings) -> CronTrigger:
    fields = job.cron(settings) if callable(job.cron) else job.cron
    return CronTrigger(timezone=settings.tz, **fields)


def next_run(job: Job, settings: Settings, now: dt.datetime) -> dt.datetime | None:
    return trigger(job, settings).get_next_fire_time(None, now)


def last_due(job: Job, settings: Settings, now: dt.datetime) -> dt.datetime | None:
    """The latest scheduled moment at or before `now` within the job's catch-up grace, if any."""
    grace = CATCH_UP_GRACE.get(job.period, dt.timedelta(hours=1))
    cron = trigger(job, settings)
    moment = cron.get_next_fire_time(None, now - grace)
    latest = None
    while moment is not None and moment <= now:
        latest = moment
        moment = cron.get_next_fire_time(moment, moment + dt.timedelta(seconds=1))
    return latest


def moment_on(job: Job, settings: Settings, day: dt.date) -> dt.datetime:
    """The job's first scheduled moment on a given port-local day (for `portcrm jobs run NAME --date`)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=settings.tz)
    moment = trigger(job, settings).get_next_fire_time(None, start)
    if moment is None or moment.date() != day:
        return start.replace(hour=settings.morning_hour)
    return moment


Due = Sequence[tuple[Job, dt.datetime]]  # each job with the port-local moment its run stands for


class JobRunner(Protocol):
    async def run(self, due: Due) -> list[JobResult | None]:
        """Claim and run each period in order: its result, or None when it was claimed already or failed."""
        ...


@dataclass(frozen=True, slots=True)
class InProcess:
    db: Database
    settings: Settings

    async def run(self, due: Due) -> list[JobResult | None]:
        return [await run_logged(job, JobContext(self.db, self.settings, moment)) for job, moment in due]


async def run_logged(job: Job, ctx: JobContext) -> JobResult | None:
    try:
        return await run_claimed(job, ctx)
    except asyncio.CancelledError:
        raise
    except Exception:  # logged by run_claimed; the scheduler keeps serving the other jobs
        return None


class PortScheduler:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        jobs: Iterable[Job] = JOBS,
        *,
        runner: JobRunner | None = None,
    ) -> None:
        self.db, self.settings, self.jobs = db, settings, tuple(jobs)
        self.runner = runner or InProcess(db, settings)
        self._scheduler = AsyncIOScheduler(timezone=settings.tz)

    async def start(self) -> None:
        for job in self.jobs:
            self._scheduler.add_job(
                self._fire,
                trigger(job, self.settings),
                args=[job],
                id=job.name,
                name=job.description,
                misfire_grace_time=MISFIRE_GRACE_SECONDS,
                coalesce=True,
                max_instances=1,
            )
        self._scheduler.start()
        await self.catch_up()

    async def catch_up(self, now: dt.datetime | None = None) -> list[str]:
        """Run each job's latest missed period once; returns the names of the jobs that ran."""
        now = now or dt.datetime.now(self.settings.tz)
        due = [
            (job, moment)
            for job in self.jobs
            if job.catch_up and (moment := last_due(job, self.settings, now))
        ]
        results = await self.runner.run(due) if due else []
        return [job.name for (job, _), result in zip(due, results, strict=True) if result is not None]

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def _fire(self, job: Job) -> None:
        await self.runner.run([(job, dt.datetime.now(self.settings.tz))])
