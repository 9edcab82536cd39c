"""The storage layer: migrations match the models, and concurrent writers never lose an update."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, select, text

from portcrm.models import Base, Notification
from portcrm.storage import migrate
from portcrm.storage.db import Database
from tests.conftest import sqlite_url


def _schema_diff(connection: Connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def _assert_models_match_migrations(url: str) -> None:
    await migrate.upgrade_async(url)
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_schema_diff) == []
    finally:
        await database.dispose()


async def _stairway(url: str) -> None:
    """Each revision upgrades, downgrades and upgrades again: downgrades are real, not decoration."""
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    revisions = list(reversed(list(script.walk_revisions())))
    for revision in revisions:
        await migrate.upgrade_async(url, revision.revision)
        await asyncio.to_thread(migrate.downgrade, url, revision.down_revision or "base")
        await migrate.upgrade_async(url, revision.revision)


async def _increment_concurrently(url: str, workers: int = 20, rounds: int = 30) -> int:
    database = Database(url)
    try:
        async with database.session() as session:
            row = Notification(idempotency_key="counter", kind="test", chat_id=1, text="x", attempts=0)
            session.add(row)
            await session.commit()
            row_id = row.id

        async def worker() -> None:
            for _ in range(rounds):
                async with database.session() as session:
                    counter = await session.scalar(
                        select(Notification).where(Notification.id == row_id).with_for_update()
                    )
                    assert counter is not None
                    await asyncio.sleep(0)  # let the other writers interleave between read and write
                    counter.attempts += 1
                    await session.commit()

        await asyncio.gather(*(worker() for _ in range(workers)))
        async with database.session() as session:
            return await session.scalar(select(Notification.attempts).where(Notification.id == row_id))
    finally:
        await database.dispose()


@pytest.mark.sqlite_only
class TestSQLite:
    async def test_models_and_migrations_agree(self, tmp_path: Path) -> None:
        await _assert_models_match_migrations(sqlite_url(tmp_path / "fresh.db"))

    @pytest.mark.slow
    async def test_every_migration_goes_down_and_up_again(self, tmp_path: Path) -> None:
        await _stairway(sqlite_url(tmp_path / "stairway.db"))

    async def test_twenty_concurrent_writers_lose_no_increment(self, database_url: str) -> None:
        assert await _increment_concurrently(database_url) == 20 * 30

    async def test_connections_use_wal_busy_timeout_and_foreign_keys(self, db: Database) -> None:
        async with db.engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            # another process's lock is waited for on the driver's thread (tests/test_sqlite_driver.py)
            raw = await connection.get_raw_connection()
            assert raw.dbapi_connection.patience_ms >= 5000  # type: ignore[union-attr]

    async def test_rolls_back_uncommitted_work_by_default(self, db: Database) -> None:
        async with db.session() as session:
            session.add(Notification(idempotency_key="k", kind="test", chat_id=1, text="x"))
            await session.flush()
        async with db.session() as session:
            assert (await session.execute(text("SELECT count(*) FROM notifications"))).scalar() == 0


@pytest.mark.usefixtures("pg_server_url")
class TestPostgreSQL:
    async def test_models_and_migrations_agree(self, pg_url: str) -> None:
        await _assert_models_match_migrations(pg_url)

    @pytest.mark.slow
    async def test_every_migration_goes_down_and_up_again(self, pg_url: str) -> None:
        await _stairway(pg_url)

    async def test_twenty_concurrent_writers_lose_no_increment(self, pg_url: str) -> None:
        await migrate.upgrade_async(pg_url)
        assert await _increment_concurrently(pg_url) == 20 * 30

    async def test_instances_started_together_migrate_one_after_the_other(self, pg_url: str) -> None:
        """Three `portcrm db upgrade` processes at once, as instances starting together after a deploy."""
        env = {**os.environ, "PORTCRM_DATABASE_URL": pg_url}
        upgrades = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.runtime.cli",
                "db",
                "upgrade",
                env=env,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(3)
        ]
        try:
            outputs = [await asyncio.wait_for(p.communicate(), timeout=120) for p in upgrades]
        finally:
            for process in upgrades:
                if process.returncode is None:
                    process.kill()
        failures = [errors.decode()[-2000:] for _, errors in outputs]
        assert [p.returncode for p in upgrades] == [0, 0, 0], failures
        await _assert_models_match_migrations(pg_url)
