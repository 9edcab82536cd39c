"""The bot's scheduled jobs run in a child process: the memory a run takes leaves with the child.

A job reads a port's worth of rows (grading scores every customer, revisit reminders walk every
customer's visits) and loads what only jobs use (the `holidays` package, the jobs' own modules), and a
Python process keeps most of the memory it has once used. In the bot that came on top of aiogram's 166 MB
for the life of the process: bench/memory.py measured 252 MB idle after the start-up catch-up at 5k
customers, 212 MB with the scheduler off. The child imports no aiogram (about 70 MB before the job), claims
and runs each period exactly as the bot would (portcrm.jobs.base.run_claimed), logs to the same stream,
reports its results on stdout and exits; the chat keeps the bot's one SQLite connection meanwhile.

The settings travel whole (the bot may have been given other settings than its environment's), through
the environment rather than argv (the database URL may hold a password); the Telegram secrets stay
behind: a job only writes the outbox, which the bot sends.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from portcrm.jobs.base import JobContext, JobResult
from portcrm.jobs.registry import find
from portcrm.jobs.scheduler import Due, run_logged
from portcrm.settings import Settings
from portcrm.storage.db import Database

MODULE = "bot.runtime.job_child"  # this module's name also when it runs as the child's __main__
log = logging.getLogger(MODULE)
SETTINGS_VARIABLE = "PORTCRM_JOB_SETTINGS"
_SECRETS = {"bot_token", "webhook_secret"}


@dataclass(frozen=True, slots=True)
class InChildProcess:
    """The bot's JobRunner: one child process for each batch (the start-up catch-up is one batch)."""

    settings: Settings

    async def run(self, due: Due) -> list[JobResult | None]:
        if not due:
            return []
        runs = [f"{job.name}@{moment.isoformat()}" for job, moment in due]
        level = str(logging.getLogger().getEffectiveLevel())
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", MODULE, "--log-level", level, *runs),
            stdout=asyncio.subprocess.PIPE,  # the results; its logs go to the bot's stderr
            env={**os.environ, SETTINGS_VARIABLE: settings_for_child(self.settings)},
        )
        try:
            out, _ = await process.communicate()
        except asyncio.CancelledError:  # the bot is stopping: so does the run, as it would in the bot
            if process.returncode is None:
                process.terminate()
                await asyncio.shield(process.wait())
            raise
        if process.returncode != 0:
            log.error("jobs %s: the child process exited with code %s", ", ".join(runs), process.returncode)
            return [None] * len(due)
        results: list[JobResult | None] = json.loads(out.decode().splitlines()[-1])
        return results


def settings_for_child(settings: Settings) -> str:
    return settings.model_dump_json(exclude=_SECRETS)


def settings_from_parent(text: str) -> Settings:
    """Every setting the bot had, not its environment's or a .env file's; the secrets from the environment."""
    return Settings(_env_file=None, **json.loads(text))  # type: ignore[call-arg]


async def run_here(settings: Settings, due: Due) -> list[JobResult | None]:
    db = Database(settings.database_url)
    results = []
    try:
        for job, moment in due:
            started = time.perf_counter()
            results.append(await run_logged(job, JobContext(db, settings, moment)))
            took = time.perf_counter() - started
            log.info(
                "job %s period %s ran in a child process: %.1f s, peak %.0f MB",
                *(job.name, job.period(moment), took, peak_mb()),
            )
    finally:
        await db.dispose()
    return results


def peak_mb() -> float:
    """VmHWM, this process's peak RSS (getrusage's ru_maxrss would count the bot's, from before the exec)."""
    lines = Path("/proc/self/status").read_text().splitlines()
    return next((int(line.split()[1]) / 1024 for line in lines if line.startswith("VmHWM:")), 0.0)


def main(argv: list[str] | None = None) -> int:
    from bot.runtime.logs import configure_logging

    parser = argparse.ArgumentParser(description="Run scheduled jobs (the bot starts this itself).")
    parser.add_argument("--log-level", type=int, default=logging.INFO)
    parser.add_argument("runs", nargs="+", metavar="JOB@MOMENT")
    args = parser.parse_args(argv)
    settings = settings_from_parent(os.environ[SETTINGS_VARIABLE])
    secrets = [s.get_secret_value() for s in (settings.bot_token, settings.webhook_secret) if s]
    configure_logging(args.log_level, secrets=secrets)
    due = []
    for run in args.runs:
        name, _, moment = run.partition("@")
        job = find(name)
        if job is None:
            parser.error(f"no such job: {name}")
        due.append((job, dt.datetime.fromisoformat(moment).astimezone(settings.tz)))
    results = asyncio.run(run_here(settings, due))
    print(json.dumps(results, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
