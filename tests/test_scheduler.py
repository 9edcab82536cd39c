"""Each job period runs once: across restarts, catch-up, manual runs and two schedulers on one database."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portcrm.jobs.base import Job, JobContext, JobResult, daily, monthly, quarterly, run_claimed, weekly
from portcrm.jobs.scheduler import PortScheduler, last_due, moment_on, next_run
from portcrm.models import JobRun
from portcrm.settings import Settings
from portcrm.storage.db import Database

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _settings() -> Settings:
    return Settings(_env_file=None, timezone="Asia/Shanghai")


class Counter:
    def __init__(self, delay: float = 0) -> None:
        self.runs: list[dt.datetime] = []
        self.delay = delay

    async def __call__(self, ctx: JobContext) -> JobResult:
        self.runs.append(ctx.now)
        await asyncio.sleep(self.delay)
        return {"n": len(self.runs)}


def _morning_job(counter: Counter) -> Job:
    return Job("greet", "Morning greetings", {"hour": 9, "minute": 0}, daily, counter)


def test_periods_are_named_from_the_port_local_moment() -> None:
    moment = dt.datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI)  # still 2026-12-31 in UTC
    assert daily(moment) == "2027-01-01"
    assert weekly(moment) == "2026-W53"
    assert monthly(moment) == "2027-01"
    assert quarterly(moment) == "2027-Q1"


def test_a_restart_after_nine_catches_up_that_mornings_run_and_before_nine_does_not() -> None:
    job, settings = _morning_job(Counter()), _settings()
    after = dt.datetime(2027, 2, 6, 9, 5, tzinfo=SHANGHAI)
    assert last_due(job, settings, after) == dt.datetime(2027, 2, 6, 9, 0, tzinfo=SHANGHAI)
    before = dt.datetime(2027, 2, 6, 8, 55, tzinfo=SHANGHAI)
    assert last_due(job, settings, before) is None, "yesterday's run is past the catch-up grace"
    assert next_run(job, settings, before) == dt.datetime(2027, 2, 6, 9, 0, tzinfo=SHANGHAI)
    assert moment_on(job, settings, dt.date(2027, 2, 6)) == dt.datetime(2027, 2, 6, 9, 0, tzinfo=SHANGHAI)


async def test_a_period_runs_once_however_often_it_is_asked(db: Database) -> None:
    counter = Counter()
    job = _morning_job(counter)
    ctx = JobContext(db, _settings(), dt.datetime(2027, 2, 6, 9, 0, tzinfo=SHANGHAI))
    assert await run_claimed(job, ctx) == {"n": 1}
    assert await run_claimed(job, ctx) is None
    later_same_day = JobContext(db, _settings(), dt.datetime(2027, 2, 6, 17, 0, tzinfo=SHANGHAI))
    assert await run_claimed(job, later_same_day) is None
    assert len(counter.runs) == 1


async def test_a_failed_run_gives_its_period_back(db: Database) -> None:
    calls: list[int] = []

    async def flaky(ctx: JobContext) -> JobResult:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return {}

    job = Job("flaky", "Flaky", {"hour": 9}, daily, flaky)
    ctx = JobContext(db, _settings(), dt.datetime(2027, 2, 6, 9, 0, tzinfo=SHANGHAI))
    with pytest.raises(RuntimeError):
        await run_claimed(job, ctx)
    assert await run_claimed(job, ctx) == {}
    async with db.session() as session:
        rows = (await session.scalars(select(JobRun))).all()
        assert [(r.job, r.period, r.status) for r in rows] == [("flaky", "2027-02-06", "done")]


async def test_two_schedulers_on_one_database_run_each_period_once(database_url: str) -> None:
    counter = Counter(delay=0.05)
    job = _morning_job(counter)
    first, second = Database(database_url), Database(database_url)
    try:
        nine_oh_five = dt.datetime(2027, 2, 6, 9, 5, tzinfo=SHANGHAI)
        schedulers = [PortScheduler(first, _settings(), [job]), PortScheduler(second, _settings(), [job])]
        ran = await asyncio.gather(*(s.catch_up(nine_oh_five) for s in schedulers))
        assert sorted(len(r) for r in ran) == [0, 1]
        assert counter.runs == [dt.datetime(2027, 2, 6, 9, 0, tzinfo=SHANGHAI)]
        # a restart of either process around the same time repeats nothing
        assert await schedulers[1].catch_up(nine_oh_five + dt.timedelta(minutes=20)) == []
        assert await schedulers[0].catch_up(nine_oh_five) == []
        assert len(counter.runs) == 1
    finally:
        await first.dispose()
        await second.dispose()


def test_morning_jobs_follow_the_configured_morning_hour() -> None:
    from portcrm.jobs.registry import find

    greetings = find("greetings")
    assert greetings is not None
    day = dt.date(2027, 2, 6)
    assert moment_on(greetings, _settings(), day).hour == 9
    early = Settings(_env_file=None, timezone="Asia/Shanghai", morning_hour=7)
    assert moment_on(greetings, early, day) == dt.datetime(2027, 2, 6, 7, 0, tzinfo=SHANGHAI)
