"""The SQLite driver (portcrm/storage/sqlite_driver.py): short statements on the event loop, the rest on the
connection's thread in one trip each, and everything SQLAlchemy expects of a DBAPI cursor still true."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import func, insert, literal_column, select, text, update
from sqlalchemy.exc import IntegrityError

from portcrm.models import Notification
from portcrm.storage import migrate, sqlite_driver
from portcrm.storage.db import Database
from tests.conftest import sqlite_url


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    url = sqlite_url(tmp_path / "driver.db")
    await migrate.upgrade_async(url)
    database = Database(url)
    yield database
    await database.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function sent to an aiosqlite connection's thread."""
    sent: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: object, *args: object, **kwargs: object) -> object:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


def _notification(key: str) -> Notification:
    return Notification(idempotency_key=key, kind="test", chat_id=1, text="x", attempts=0)


async def test_the_engine_uses_it_for_aiosqlite_urls(db: Database) -> None:
    assert db.engine.url.drivername == "sqlite+portcrm"
    assert db.is_sqlite


async def test_a_short_transaction_runs_on_the_event_loop(db: Database, trips: list[str]) -> None:
    async with db.session() as session:
        await session.scalar(select(func.count()).select_from(Notification))  # connects, pragmas, warms up
        await session.commit()
    trips.clear()
    async with db.session() as session:
        session.add(_notification("here"))
        await session.flush()
        assert await session.scalar(select(func.count()).select_from(Notification)) == 1
        await session.commit()
    assert trips == [], "BEGIN IMMEDIATE, INSERT, SELECT and COMMIT never wait: no trip to the thread"


async def test_a_read_that_takes_too_long_is_finished_on_the_thread(
    db: Database, trips: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_driver, "READ_BUDGET", 0.0)  # every read that runs a while is cut off
    count_to = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
        "SELECT count(*) FROM n"
    )
    async with db.session() as session:
        session.add(_notification("written before, in the same transaction"))
        await session.flush()
        trips.clear()
        assert await session.scalar(text(count_to)) == 20000
        assert trips == ["_patiently"]
        # the interrupted read undid nothing: the transaction and its write are still there
        assert await session.scalar(select(func.count()).select_from(Notification)) == 1
        await session.commit()
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Notification)) == 1


async def test_a_transaction_waits_on_the_thread_for_another_process_s_lock(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.session() as session:
        await session.scalar(select(literal_column("1")))
        await session.commit()
    waiting = asyncio.Event()
    real = sqlite_driver.Connection.on_thread

    async def on_thread(self: sqlite_driver.Connection, call: object, *args: object) -> object:
        waiting.set()
        return await real(self, call, *args)

    monkeypatch.setattr(sqlite_driver.Connection, "on_thread", on_thread)
    other = sqlite3.connect(tmp_path / "driver.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing

    async def write() -> list[str]:
        async with db.session() as session:
            session.add(_notification("mine"))
            await session.commit()
        async with db.session() as session:
            keys = list(await session.scalars(select(Notification.idempotency_key)))
            await session.commit()
        return keys

    writing = asyncio.create_task(write())
    await waiting.wait()  # BEGIN found the lock taken, and waits for it on the thread
    assert not writing.done()
    other.execute("COMMIT")
    other.close()
    assert await writing == ["mine"]


async def test_the_wal_is_checkpointed_off_the_loop(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_driver, "CHECKPOINT_EVERY", 3)
    loop, checkpointed = asyncio.get_running_loop(), asyncio.Event()
    real = sqlite_driver._checkpoint

    def checkpoint(database: str, patience_ms: int) -> None:
        real(database, patience_ms)
        loop.call_soon_threadsafe(checkpointed.set)

    monkeypatch.setattr(sqlite_driver, "_checkpoint", checkpoint)
    async with db.session() as session:
        assert (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
        await session.commit()
    for n in range(3):
        async with db.session() as session:
            session.add(_notification(f"c{n}"))
            await session.commit()
    await checkpointed.wait()  # in a task and on a thread of its own
    other = sqlite3.connect(str(db.engine.url.database))
    busy, frames, copied = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    other.close()
    assert (busy, copied) == (0, frames), "everything written was copied to the database file"


async def test_rowcount_lastrowid_returning_and_executemany_are_reported(db: Database) -> None:
    async with db.session() as session:
        first, second = _notification("a"), _notification("b")
        session.add_all([first, second])
        await session.flush()  # one INSERT each, the ids from lastrowid or RETURNING
        assert first.id
        assert second.id not in (None, first.id)
        rows = [{"idempotency_key": f"m{n}", "kind": "t", "chat_id": 2, "text": "y"} for n in range(5)]
        await session.execute(insert(Notification), rows)  # executemany
        changed = await session.execute(
            update(Notification).where(Notification.chat_id == 2).values(attempts=3)
        )
        assert changed.rowcount == 5  # type: ignore[attr-defined]
        returned = await session.scalars(
            update(Notification)
            .where(Notification.chat_id == 1)
            .values(attempts=1)
            .returning(Notification.id)
        )
        assert sorted(returned) == sorted([first.id, second.id])
        await session.commit()
    async with db.session() as session:
        assert await session.scalar(select(func.sum(Notification.attempts))) == 5 * 3 + 2
        await session.commit()


async def test_a_failed_statement_rolls_back_and_the_connection_serves_on(db: Database) -> None:
    async with db.session() as session:
        session.add(_notification("kept"))
        await session.commit()

    async def add_then_collide() -> None:
        async with db.session() as session:
            session.add(_notification("lost"))
            await session.flush()
            session.add(_notification("kept"))
            await session.flush()

    with pytest.raises(IntegrityError, match="UNIQUE"):
        await add_then_collide()
    async with db.session() as session:  # the one connection is free: not left inside that transaction
        keys = list(await session.scalars(select(Notification.idempotency_key)))
        await session.commit()
    assert keys == ["kept"]


async def test_streamed_results_still_come_in_order(db: Database) -> None:
    async with db.session() as session:
        session.add_all([_notification(f"s{n:02}") for n in range(30)])
        await session.commit()
    async with db.session() as session:
        result = await session.stream_scalars(select(Notification.idempotency_key).order_by(Notification.id))
        keys = [key async for key in result]
        await session.commit()
    assert keys == [f"s{n:02}" for n in range(30)]
