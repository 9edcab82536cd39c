"""The database going away and coming back, as a bot sees it.

PostgreSQL: the bot connects through a TCP proxy that the test cuts (new connections refused, open ones
closed) while `pg_terminate_backend` ends the bot's sessions on the server, which is what a restart does
to its clients; restoring the proxy is the server being back. SQLite: another connection holds the write
lock longer than the (shortened) busy timeout, so every transaction of the bot fails "database is locked".
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import asyncpg
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy.engine import make_url

# How long the bot's SQLite connections wait for a lock in these tests (30 s in production): the outage
# lasts longer, the bot's own brief writes even on a loaded machine do not (300 ms proved too short).
OUTAGE_BUSY_TIMEOUT_MS = 1000


class Outage(Protocol):
    url: str  # what the bot connects to

    async def begin(self) -> None: ...
    async def end(self) -> None: ...


class SQLiteLock:
    def __init__(self, url: str) -> None:
        self.url = url
        self._path = make_url(url).database
        self._holder: sqlite3.Connection | None = None

    async def begin(self) -> None:
        def lock() -> sqlite3.Connection:
            holder = sqlite3.connect(
                self._path or "", timeout=30, isolation_level=None, check_same_thread=False
            )
            holder.execute("BEGIN IMMEDIATE")  # waits for a write in progress, then keeps everyone out
            return holder

        self._holder = await asyncio.to_thread(lock)

    async def end(self) -> None:
        if self._holder is not None:
            self._holder.execute("ROLLBACK")
            self._holder.close()
            self._holder = None


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a real server until cut: new connections refused, open ones closed."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()  # nobody new gets in: connecting is refused
        await self._server.wait_closed()
        for writer in list(self._links):
            writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._links):
            writer.close()

    async def _link(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self._target)
        except OSError:
            client_writer.close()
            return
        self._links |= {client_writer, server_writer}
        try:
            await asyncio.gather(
                self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer)
            )
        finally:
            self._links -= {client_writer, server_writer}

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()


class PostgresProxy(TcpProxy):
    """The server restarting: the proxy cut, and the bot's sessions ended on the server."""

    def __init__(self, url: str) -> None:
        real = make_url(url)
        super().__init__(real.host or "127.0.0.1", real.port or 5432)
        self._real_dsn = real.set(drivername="postgresql").render_as_string(hide_password=False)
        self._database = real.database
        self.url = url  # replaced by the proxied URL in start()

    async def start(self) -> None:
        await super().start()
        self.url = make_url(self.url).set(host="127.0.0.1", port=self.port).render_as_string(False)

    async def begin(self) -> None:
        await self.cut()
        admin = await asyncpg.connect(self._real_dsn)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                self._database,
            )
        finally:
            await admin.close()

    async def end(self) -> None:
        await self.start()


@contextlib.asynccontextmanager
async def outage_for(database_url: str) -> AsyncIterator[Outage]:
    """The outage a backend can have; the bot must use its `url`."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield SQLiteLock(database_url)
        return
    proxy = PostgresProxy(database_url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


class GoneDuringHandler(BaseMiddleware):
    """An update middleware placed last: for the next `times` updates, the database goes away as the
    handler starts (after identity was read) and comes back once the handler has failed."""

    def __init__(self, outage: Outage, times: int = 1) -> None:
        self.outage = outage
        self.times = times

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if self.times <= 0 or not isinstance(event, Update):
            return await handler(event, data)
        self.times -= 1
        await self.outage.begin()
        try:
            return await handler(event, data)
        finally:
            await self.outage.end()
