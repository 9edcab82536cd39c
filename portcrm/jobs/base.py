"""What a scheduled job is, which period a run belongs to, and the claim that makes each period run once.

A job's period is named from the port-local time it was due (a day, an ISO week, a month, a quarter). Before
doing anything a run inserts (job, period) into job_runs; the unique key refuses a second claimant, whether it
is a restarted process catching up, `portcrm jobs run`, or another instance's scheduler. A run that fails
gives its claim back, so the period is tried again; jobs are written to be safe to re-run (their outbox
keys are idempotent).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from portcrm.models import JobRun
from portcrm.models.base import utcnow
from portcrm.settings import Settings
from portcrm.storage.db import Database
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)
INSTANCE = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a run needs: the database, the settings, and the port-local moment it stands for."""

    db: Database
    settings: Settings
    now: dt.datetime  # aware, in the port's time zone: the time the run was due

    @property
    def today(self) -> dt.date:
        return self.now.date()


JobResult = dict[str, Any]


def daily(moment: dt.datetime) -> str:
    return moment.date().isoformat()


def weekly(moment: dt.datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def monthly(moment: dt.datetime) -> str:
    return f"{moment.year}-{moment.month:02d}"


def quarterly(moment: dt.datetime) -> str:
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def hourly(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H")


def every_quarter_hour(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:") + f"{moment.minute // 15 * 15:02d}"


Cron = dict[str, Any] | Callable[[Settings], dict[str, Any]]


def morning(minute: int = 0, **fields: Any) -> Callable[[Settings], dict[str, Any]]:
    """A schedule at the port's configured morning hour (PORTCRM_MORNING_HOUR), plus any other cron fields."""

    def fields_for(settings: Settings) -> dict[str, Any]:
        return {"hour": settings.morning_hour, "minute": minute, **fields}

    return fields_for


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    description: str
    cron: Cron  # APScheduler CronTrigger fields in the port's time zone, or a function of the settings
    period: Callable[[dt.datetime], str]
    run: Callable[[JobContext], Awaitable[JobResult]]
    catch_up: bool = True  # run a period missed while the process was down, once, at start-up
    tags: tuple[str, ...] = field(default_factory=tuple)


async def run_claimed(job: Job, ctx: JobContext) -> JobResult | None:
    """Run the job for the period containing ctx.now, unless someone already has; None when skipped."""
    period = job.period(ctx.now)
    async with ctx.db.session() as session:
        try:
            async with transaction(session):
                session.add(JobRun(job=job.name, period=period, instance=INSTANCE))
        except IntegrityError:
            log.info("job %s period %s already claimed; skipped", job.name, period)
            return None
    try:
        result = await job.run(ctx)
    except Exception as error:
        log.exception("job %s period %s failed; its claim is released for a retry", job.name, period)
        async with ctx.db.session() as session, transaction(session):
            await session.execute(delete(JobRun).where(JobRun.job == job.name, JobRun.period == period))
        raise error
    async with ctx.db.session() as session, transaction(session):
        row = await session.scalar(select(JobRun).where(JobRun.job == job.name, JobRun.period == period))
        if row is not None:
            row.status, row.finished_at, row.result = "done", utcnow(), result
    log.info("job %s period %s done: %s", job.name, period, result)
    return result
