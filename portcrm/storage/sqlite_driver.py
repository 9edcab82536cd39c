"""SQLAlchemy's aiosqlite dialect, with one trip to the connection's thread per statement.

aiosqlite runs every call on a thread of its own. SQLAlchemy's adapter makes four such calls per
statement (open a cursor, execute, fetch the rows, close the cursor) and one more for the pool's
rollback of a connection handed back with no transaction open. Each call hands the GIL to that thread
and back; in `bench.chat_throughput --profile` those hand-offs were the largest single cost of an
update. Here a statement executes, fetches and closes in one call, and an idle connection is not rolled
back. The rest is SQLAlchemy's adapter unchanged; server-side (streamed) cursors keep theirs.

`portcrm.storage.db.create_engine` uses it for `sqlite+aiosqlite` URLs as the `sqlite+portcrm` driver.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT

DRIVER = "portcrm"

# description, rows, rowcount, lastrowid, and whether a transaction is open
_Outcome = tuple[Any, list[Any], int, int | None, bool]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On the connection's thread: the whole statement, as one call."""
    if many:
        cursor = connection.executemany(operation, parameters)
    else:
        cursor = connection.execute(operation, () if parameters is None else parameters)
    try:
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid, connection.in_transaction
    finally:
        cursor.close()


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: _Connection) -> None:  # no aiosqlite cursor: no trip
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
        return await self._call(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._call(operation, seq_of_parameters, many=True)

    async def _call(self, operation: Any, parameters: Any, *, many: bool) -> _Cursor:
        adapted = self._adapt_connection
        async with adapted._execute_mutex:
            outcome: _Outcome = await self._connection._execute(
                _run, self._connection._conn, operation, parameters, many
            )
        self._description, rows, self._rowcount, self._lastrowid, adapted.in_transaction = outcome
        self._rows = deque(rows)
        return self

    async def _async_soft_close(self) -> None:
        """Nothing is left open on the thread."""

    def close(self) -> None:
        self._rows.clear()


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("in_transaction",)
    _cursor_cls = _Cursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.in_transaction = False

    def commit(self) -> None:
        super().commit()
        self.in_transaction = False

    def rollback(self) -> None:
        if self.in_transaction:  # the pool rolls back every connection it takes back
            super().rollback()
            self.in_transaction = False


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _Connection:
        return _Connection(self, super().connect(*arg, **kw)._connection)


class PortSQLiteDialect(SQLiteDialect_aiosqlite):
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> _DBAPI:
        return _DBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "PortSQLiteDialect")
