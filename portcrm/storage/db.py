"""Engine and session factory. On SQLite every transaction takes the write lock when it begins.

SQLite's default deferred transactions lose updates (or fail with "database is locked") when concurrent
sessions read then write; `BEGIN IMMEDIATE` queues writers on the busy timeout instead. Services keep
transactions short and commit before any network I/O, so holding the lock from the first statement is cheap.

As only one transaction runs at a time anyway, a process keeps a single SQLite connection: sessions queue
for it in the pool, first come first served and woken the moment it is free, instead of in SQLite's busy
handler, which sleeps between retries for up to 100 ms at a time (bench.chat_throughput: p99 at 16
updates in flight went from 1.9 s to 0.6 s). The busy timeout still arbitrates between processes. The
connection talks to its thread through `portcrm.storage.sqlite_driver`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session

from portcrm import audit
from portcrm.storage import sqlite_driver

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10  # an unreachable server fails a connection in seconds rather than asyncpg's 60


def create_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        # pre-ping: a pooled connection a server restart killed is replaced at checkout, not handed out
        if url.get_driver_name() == "asyncpg":
            kwargs.setdefault("connect_args", {"timeout": PG_CONNECT_TIMEOUT_S})
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    if url.get_driver_name() == "aiosqlite":
        url = url.set(drivername=f"sqlite+{sqlite_driver.DRIVER}")
    if url.database not in (None, "", ":memory:"):
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take transaction control away from the driver so that the "begin" hook below decides
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not isinstance(dbapi_connection, sqlite_driver.Connection):  # which applies the timeout itself
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    if isinstance(engine.dialect, sqlite_driver.PortSQLiteDialect):
        return  # which begins its transactions so itself

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def upsert_into(session: AsyncSession, entity: Any) -> Any:
    """An INSERT with the session's dialect's ON CONFLICT clauses. Each dialect's module is imported only
    where it runs: PostgreSQL's costs a SQLite bot 2 MB for nothing."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(entity)


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
        session = self.sessionmaker()
        try:
            if actor is not None:
                audit.set_actor(session, actor)
            yield session
        finally:
            if session.sync_session.get_transaction() is None:
                # committed or never used: it holds no connection, and closing it waits for nothing (the
                # async close is a task of its own, shielded from cancellation: a cost per update)
                session.sync_session.close()
            else:
                await session.__aexit__(None, None, None)  # rolls back, runs to completion if cancelled

    async def dispose(self) -> None:
        await self.engine.dispose()


@dataclass
class Writes:
    committed: int = 0

    def forget(self) -> None:
        """Count from here on (what came before is harmless to do twice)."""
        self.committed = 0


_writes: ContextVar[Writes | None] = ContextVar("portcrm_writes", default=None)
_WROTE = "portcrm_wrote"


@contextmanager
def watching_writes() -> Iterator[Writes]:
    """Counts the transactions that committed changes in this context, in any session.

    An update whose handler failed before committing anything can be handled again from the start;
    one that committed cannot, without doing that part twice (see bot/pipeline/inbox.py).
    """
    writes = Writes()
    token = _writes.set(writes)
    try:
        yield writes
    finally:
        _writes.reset(token)


def current_writes() -> Writes | None:
    return _writes.get()


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    writes = _writes.get()
    if session.info.pop(_WROTE, False) and writes is not None:
        writes.committed += 1


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_WROTE, None)
