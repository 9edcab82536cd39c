"""SQLAlchemy's aiosqlite dialect, running short statements on the event loop and the rest on its thread.

aiosqlite runs every call on a thread of its own. Each trip there hands the GIL to that thread and back,
and costs a future, a wake-up of the event loop and a greenlet switch; in `bench.chat_throughput` those
hand-offs were the largest single cost of an update, while SQLite itself spends microseconds on the
indexed reads and one-row writes the chat makes. So a statement runs on the event loop, synchronously,
when it cannot make the loop wait, and goes to the thread when it might:

- The busy timeout (waiting for another process's write lock) is 0 on the loop: a statement that finds
  the database locked fails at once, having done nothing, and is run again on the thread with the real
  timeout. Every transaction begins `BEGIN IMMEDIATE` (db.py), so within one this process holds the lock
  and nothing waits.
- A read (SELECT) runs on the loop for at most `READ_BUDGET` seconds; one that takes longer (a report, an
  export) is interrupted, which undoes nothing of its transaction, and run again on the thread. A write
  cannot be cut off like that (SQLite then rolls back the whole transaction), so writes run on the loop
  only inside a transaction, where they are one-row changes of the chat and the jobs; many-row batches
  (`executemany`) and writes outside a transaction go to the thread.
- A commit writes the WAL but never checkpoints it on the loop (`wal_autocheckpoint` is 0 on this
  connection, as a checkpoint copies pages and syncs the file): every `CHECKPOINT_EVERY` commits that
  wrote, a passive checkpoint runs from a connection of its own on a worker thread, which neither the
  writer nor readers wait for.

A statement on the thread executes, fetches and closes in one trip, and an idle connection is not rolled
back. The rest is SQLAlchemy's adapter unchanged; server-side (streamed) cursors keep theirs.
It begins every transaction `BEGIN IMMEDIATE` itself (`do_begin`). `portcrm.storage.db.create_engine` uses it
for `sqlite+aiosqlite` URLs as the `sqlite+portcrm` driver.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import time
from collections import deque
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT, await_

log = logging.getLogger(__name__)

DRIVER = "portcrm"
_BEGIN = "BEGIN IMMEDIATE"
READ_BUDGET = 0.002  # seconds a read may hold the event loop before it is moved to the thread
CHECKPOINT_EVERY = 200  # commits that wrote, between passive checkpoints of the WAL
_PROGRESS_STEPS = 1000  # SQLite VM instructions between looks at the clock during a read on the loop

# description, rows, rowcount, lastrowid, and whether a transaction is open
_Outcome = tuple[Any, list[Any], int, int | None, bool]
_READ, _WRITE, _OTHER = "read", "write", "other"
_WRITING = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)  # in a WITH, say
_KINDS: dict[str, str] = {}  # statement text -> kind; SQLAlchemy's statements are few and reused


def _kind(operation: str) -> str:
    """A read may be cut off and run again; anything that writes must not be (see the module's docstring)."""
    kind = _KINDS.get(operation)
    if kind is None:
        words = operation.split(None, 1)
        first = words[0].upper() if words else ""
        if first in ("SELECT", "WITH") and not _WRITING.search(operation):
            kind = _READ
        else:
            kind = _WRITE if first in ("INSERT", "UPDATE", "DELETE", "REPLACE", "WITH") else _OTHER
        if len(_KINDS) < 10_000:
            _KINDS[operation] = kind
    return kind


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """The whole statement, as one call."""
    if many:
        cursor = connection.executemany(operation, parameters)
    else:
        cursor = connection.execute(operation, () if parameters is None else parameters)
    try:
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid, connection.in_transaction
    finally:
        cursor.close()


def _patiently(connection: sqlite3.Connection, patience_ms: int, call: Any, *args: Any) -> Any:
    """On the thread: `call` with the real busy timeout, which is 0 while the loop uses the connection."""
    connection.execute(f"PRAGMA busy_timeout = {patience_ms}")
    try:
        return call(*args)
    finally:
        connection.execute("PRAGMA busy_timeout = 0")


class _Deadline:
    """A progress handler: interrupts a read on the loop once it has run for `READ_BUDGET`."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> int:
        return time.perf_counter() > self.at


def _busy_or_interrupted(error: sqlite3.OperationalError) -> bool:
    """SQLite did nothing of the statement: the lock was taken (busy), or the read's time was up."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT)


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Connection) -> None:  # no aiosqlite cursor: no trip
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._rows = deque()
        self._soft_closed_memoized = EMPTY_DICT
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1  # sqlite3's default, which fetchmany() without a size uses

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        """The rows are all fetched already."""

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        # awaited even when it does not suspend: SQLAlchemy's AsyncConnection insists that something was
        outcome = self._adapt_connection.run_here(operation, parameters)
        if outcome is None:
            return await self._call(operation, parameters, many=False)
        self._take(outcome)
        return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._call(operation, seq_of_parameters, many=True)

    async def _call(self, operation: Any, parameters: Any, *, many: bool) -> _Cursor:
        adapted = self._adapt_connection
        async with adapted._execute_mutex:
            outcome: _Outcome = await adapted.on_thread(_run, adapted.raw, operation, parameters, many)
        self._take(outcome)
        return self

    def _take(self, outcome: _Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid, in_transaction = outcome
        self._adapt_connection.in_transaction = in_transaction
        self._rows = deque(rows)

    async def _async_soft_close(self) -> None:
        """Nothing is left open on the thread."""

    def close(self) -> None:
        self._rows.clear()


class Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = (
        "_changes",
        "_checkpointing",
        "_deadline",
        "_file",
        "_wrote",
        "in_transaction",
        "patience_ms",
        "raw",
    )
    _cursor_cls = _Cursor

    def __init__(self, dbapi: Any, connection: Any, patience_ms: int) -> None:
        super().__init__(dbapi, connection)
        self.raw: sqlite3.Connection = connection._conn
        self.patience_ms = patience_ms
        self.in_transaction = False
        self._deadline = _Deadline()
        self._wrote = 0  # commits that wrote since the last checkpoint
        self._changes = 0  # SQLite's count of rows changed, at the last commit
        self._checkpointing: asyncio.Task[None] | None = None
        self.raw.execute("PRAGMA busy_timeout = 0")
        self.raw.execute("PRAGMA wal_autocheckpoint = 0")
        self._file: str = self.raw.execute("PRAGMA database_list").fetchone()[2]  # "" in memory

    def run_here(self, operation: str, parameters: Any) -> _Outcome | None:
        """The statement run on the event loop; None when it belongs on the thread (nothing was done)."""
        if self._execute_mutex.locked():  # the thread is using the connection
            return None
        raw = self.raw
        kind = _kind(operation)
        if kind == _WRITE and not raw.in_transaction:
            return None
        if kind == _READ:
            self._deadline.at = time.perf_counter() + READ_BUDGET
            raw.set_progress_handler(self._deadline, _PROGRESS_STEPS)
        try:
            return _run(raw, operation, parameters, False)
        except sqlite3.OperationalError as error:
            if _busy_or_interrupted(error):
                return None
            raise
        finally:
            if kind == _READ:
                raw.set_progress_handler(None, 0)

    async def on_thread(self, call: Any, *args: Any) -> Any:
        """`call(*args)` on the connection's thread, with the real busy timeout."""
        return await self._connection._execute(_patiently, self.raw, self.patience_ms, call, *args)

    def begin(self) -> None:
        """BEGIN IMMEDIATE, for the dialect's `do_begin`: every transaction takes the write lock (db.py)."""
        raw = self.raw
        if self._execute_mutex.locked() or not self._end_here(raw.execute, _BEGIN):
            try:
                await_(self._locked(raw.execute, _BEGIN))
            except Exception as error:
                self._handle_exception(error)
        self.in_transaction = raw.in_transaction

    def commit(self) -> None:
        if not self._connection._connection:
            return
        raw = self.raw
        if self._execute_mutex.locked() or not self._end_here(raw.commit):
            try:
                await_(self._locked(raw.commit))
            except Exception as error:
                self._handle_exception(error)
        self.in_transaction = raw.in_transaction
        if raw.total_changes != self._changes:
            self._changes = raw.total_changes
            self._written()

    def rollback(self) -> None:
        if not (self.in_transaction and self._connection._connection):
            return  # the pool rolls back every connection it takes back
        raw = self.raw
        if self._execute_mutex.locked() or not self._end_here(raw.rollback):
            try:
                await_(self._locked(raw.rollback))
            except Exception as error:
                self._handle_exception(error)
        self.in_transaction = raw.in_transaction

    def _end_here(self, end: Any, *args: Any) -> bool:
        """`end(*args)` (a begin, a commit or a rollback) on the loop; False when the thread must do it."""
        try:
            end(*args)
        except sqlite3.OperationalError as error:
            if _busy_or_interrupted(error):
                return False
            raise
        return True

    async def _locked(self, call: Any, *args: Any) -> Any:
        async with self._execute_mutex:
            return await self.on_thread(call, *args)

    def _written(self) -> None:
        """Counts commits that wrote; every CHECKPOINT_EVERY of them, a passive checkpoint off the loop."""
        self._wrote += 1
        if self._wrote < CHECKPOINT_EVERY or self._checkpointing is not None or not self._file:
            return
        self._wrote = 0
        self._checkpointing = asyncio.get_running_loop().create_task(self._checkpoint(self._file))

    async def _checkpoint(self, database: str) -> None:
        try:
            await asyncio.to_thread(_checkpoint, database, self.patience_ms)
        except Exception as error:  # the next one may pass; the WAL only grows meanwhile
            log.warning("WAL checkpoint of %s failed: %r", database, error)
        finally:
            self._checkpointing = None


def _checkpoint(database: str, patience_ms: int) -> None:
    """A passive checkpoint from a connection of its own: it copies what no reader needs, waiting for
    nobody, and the next write transaction starts the WAL over once all of it is copied."""
    with contextlib.closing(sqlite3.connect(database, timeout=patience_ms / 1000)) as connection:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> Connection:
        patience_ms = int(1000 * kw.get("timeout", 5.0))
        kw["check_same_thread"] = False  # statements run on the event loop's thread too
        return Connection(self, super().connect(*arg, **kw)._connection, patience_ms)


class PortSQLiteDialect(SQLiteDialect_aiosqlite):
    supports_statement_cache = True

    def do_begin(self, dbapi_connection: Any) -> None:
        """The driver begins every transaction itself: an engine event doing it instead would make
        SQLAlchemy set up event dispatch for every connection it hands out, a cost per transaction."""
        getattr(dbapi_connection, "dbapi_connection", dbapi_connection).begin()

    @classmethod
    def import_dbapi(cls) -> _DBAPI:
        return _DBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "PortSQLiteDialect")
