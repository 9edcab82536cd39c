"""A backup taken while the bot keeps writing restores to a sound database holding every committed row."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from portcrm.messaging import outbox
from portcrm.models import Notification
from portcrm.storage.backup import backup
from portcrm.storage.db import Database


async def _write_until(db: Database, stop: asyncio.Event, warm: asyncio.Event, committed: list[int]) -> None:
    """Commit one notification at a time, as the bot does, noting each once its commit has returned."""
    n = 0
    while not stop.is_set():
        if n == 200:
            warm.set()
        async with db.session() as session:
            await outbox.enqueue(session, key=f"load-{n}", kind="test", chat_id=1, text=f"row {n}")
            await session.commit()
        committed.append(n)
        n += 1
        await asyncio.sleep(0)


async def _backup_under_load(database_url: str, target: Path) -> tuple[list[int], int]:
    """Rows committed in all, and how many had been committed when the backup began."""
    db = Database(database_url)
    stop, warm, committed = asyncio.Event(), asyncio.Event(), []
    writer = asyncio.create_task(_write_until(db, stop, warm, committed))
    try:
        await warm.wait()
        before = len(committed)
        await backup(database_url, target)
        await asyncio.sleep(0.05)
    finally:
        stop.set()
        await writer
        await db.dispose()
    return committed, before


def _restored_keys(path: Path) -> list[int]:
    with sqlite3.connect(path) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = copy.execute("SELECT idempotency_key FROM notifications").fetchall()
    return sorted(int(key.removeprefix("load-")) for (key,) in rows)


@pytest.mark.sqlite_only
async def test_a_sqlite_backup_under_write_load_is_sound_and_misses_no_committed_row(
    database_url: str, tmp_path: Path
) -> None:
    committed, before = await _backup_under_load(database_url, tmp_path / "backup.db")
    restored = _restored_keys(tmp_path / "backup.db")
    assert restored == list(range(len(restored))), "a snapshot: every row up to a moment, none after a gap"
    assert len(restored) >= before, "every row committed before the backup began is in it"
    assert len(committed) > len(restored), "the writer went on during the backup"


@pytest.mark.slow
async def test_a_postgresql_backup_under_write_load_restores_every_committed_row(
    pg_database_url: str, pg_server_url: str, tmp_path: Path
) -> None:
    import asyncpg

    target = tmp_path / "backup.dump"
    committed, before = await _backup_under_load(pg_database_url, target)
    name = f"portcrm_restore_{uuid.uuid4().hex[:8]}"
    admin_dsn = make_url(pg_server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        restore_dsn = make_url(admin_dsn).set(database=name).render_as_string(hide_password=False)
        process = await asyncio.create_subprocess_exec(
            "pg_restore", "--no-owner", f"--dbname={restore_dsn}", str(target), stderr=asyncio.subprocess.PIPE
        )
        _, errors = await process.communicate()
        assert process.returncode == 0, errors.decode()
        restored_url = make_url(pg_database_url).set(database=name).render_as_string(hide_password=False)
        restored_db = Database(restored_url)
        async with restored_db.session() as session:
            keys = list(await session.scalars(select(Notification.idempotency_key)))
            await session.commit()
        await restored_db.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    restored = sorted(int(key.removeprefix("load-")) for key in keys)
    assert restored == list(range(len(restored)))
    assert len(restored) >= before
    assert len(committed) > len(restored)
