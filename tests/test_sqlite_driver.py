"""The SQLite driver (portcrm/storage/sqlite_driver.py): one trip to the connection's thread per statement,
and everything SQLAlchemy expects of a DBAPI cursor still true."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from portcrm.models import Notification
from portcrm.storage import migrate
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


async def test_a_read_costs_one_trip_each_for_begin_select_and_commit(db: Database, trips: list[str]) -> None:
    async with db.session() as session:
        await session.scalar(select(func.count()).select_from(Notification))  # connects, pragmas, warms up
        await session.commit()
    trips.clear()
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Notification)) == 0
        await session.commit()
    assert trips == ["_run", "_run", "commit"], "BEGIN IMMEDIATE, the SELECT, COMMIT; no rollback on return"


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
