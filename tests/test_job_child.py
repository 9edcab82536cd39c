"""The bot's scheduled jobs run in a child process: claimed once per period, with the bot's own settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.runtime.job_child import InChildProcess, settings_for_child, settings_from_parent
from portcrm.jobs.housekeeping import HOUSEKEEPING
from portcrm.jobs.scheduler import PortScheduler
from portcrm.messaging import inbox
from portcrm.models import JobRun, ReceivedUpdate
from portcrm.models.base import utcnow
from portcrm.settings import Settings
from portcrm.storage.db import Database

SHANGHAI = ZoneInfo("Asia/Shanghai")
HALF_PAST_THREE = dt.datetime(2027, 2, 6, 3, 35, tzinfo=SHANGHAI)  # housekeeping is due at 03:30


def _settings(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url, timezone="Asia/Shanghai")


async def test_a_catch_up_in_the_child_does_the_work_and_claims_the_period_once(
    db: Database, database_url: str
) -> None:
    async with db.session() as session:
        await inbox.record(session, [{"update_id": n, "message": {"text": str(n)}} for n in (1, 2)])
        await session.execute(
            update(ReceivedUpdate)
            .where(ReceivedUpdate.update_id == 1)
            .values(handled_at=utcnow() - dt.timedelta(days=8))
        )
        await session.commit()
    settings = _settings(database_url)
    scheduler = PortScheduler(db, settings, [HOUSEKEEPING], runner=InChildProcess(settings))

    assert await scheduler.catch_up(HALF_PAST_THREE) == ["housekeeping"]
    assert await scheduler.catch_up(HALF_PAST_THREE + dt.timedelta(minutes=5)) == [], "claimed already"

    async with db.session() as session:
        assert list(await session.scalars(select(ReceivedUpdate.update_id))) == [2]
        run = (await session.scalars(select(JobRun).where(JobRun.job == "housekeeping"))).one()
    assert (run.period, run.status, run.result) == ("2027-02-06", "done", {"updates_forgotten": 1})


async def test_a_run_that_fails_in_the_child_is_reported_as_not_run(tmp_path: Path) -> None:
    settings = _settings(f"sqlite+aiosqlite:///{tmp_path}/no/such/folder/portcrm.db")
    assert await InChildProcess(settings).run([(HOUSEKEEPING, HALF_PAST_THREE)]) == [None]


def test_the_child_gets_every_setting_of_the_bot_but_its_telegram_secrets(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        bot_token="123456:ABC-DEF",
        webhook_secret="s3cret",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/port.db",
        timezone="Europe/Amsterdam",
        default_locale="en",
        locales_dir=tmp_path,
        morning_hour=7,
        department_chats={"finance": -100123},
        grading_weights={"volume": 1.0},
        working_hours=("07:00", "19:00"),
        tariff_file=tmp_path / "tariff.toml",
    )
    sent = settings_for_child(settings)
    assert "123456:ABC-DEF" not in sent
    assert "s3cret" not in sent
    secrets = {"bot_token", "webhook_secret"}
    assert settings_from_parent(sent).model_dump(exclude=secrets) == settings.model_dump(exclude=secrets)
