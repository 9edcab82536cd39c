"""Engine and session factory. On SQLite every transaction takes the write lock when it begins.

SQLite's default deferred transactions lose updates (or fail with "database is locked") when concurrent
sessions read then write; `BEGIN IMMEDIATE` queues writers on the busy timeout instead. Services keep
transactions short and commit before any network I/O, so holding the lock from the first statement is cheap.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from portcrm import audit

SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take transaction control away from the driver so that the "begin" hook below decides
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: services return objects that the chat edge renders after the commit
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


class Database:
    """The engine and session factory of one process, built in main() and passed down."""

    def __init__(self, url: str | URL, **engine_kwargs: Any) -> None:
        self.engine = create_engine(url, **engine_kwargs)
        self.sessionmaker = create_sessionmaker(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.url.get_backend_name() == "sqlite"

    @asynccontextmanager
    async def session(self, actor: audit.Actor | None = None) -> AsyncIterator[AsyncSession]:
        """A session that rolls back whatever its user did not commit."""
        async with self.sessionmaker() as session:
            if actor is not None:
                audit.set_actor(session, actor)
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
