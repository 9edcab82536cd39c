"""Shared fixtures: real SQLite files migrated by Alembic, and PostgreSQL/Redis when configured."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.i18n import compile_catalogs
from portcrm.storage import migrate
from portcrm.storage.db import Database

PG_URL = os.environ.get("PORTCRM_TEST_DATABASE_URL")


def _redis_url() -> str | None:
    """The Redis database for this test process: with pytest-xdist each worker has its own (gw0 the one
    configured, gw1 the one below it...), so workers running tests at once never share a key."""
    url = os.environ.get("PORTCRM_TEST_REDIS_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) - int(worker[2:])
    if database < 0:
        raise pytest.UsageError(f"too many xdist workers for the Redis databases below {url}")
    return urlunsplit(parts._replace(path=f"/{database}"))


REDIS_URL = _redis_url()
requires_pg = pytest.mark.skipif(not PG_URL, reason="PORTCRM_TEST_DATABASE_URL is not set (no PostgreSQL)")
requires_redis = pytest.mark.skipif(not REDIS_URL, reason="PORTCRM_TEST_REDIS_URL is not set (no Redis)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: runs on the SQLite backend alone (tests SQLite itself)")
    config.addinivalue_line("markers", "slow: takes seconds, not milliseconds; runs before the others")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first, in their order, then the rest in theirs.

    pytest-xdist (`--dist worksteal`, see pyproject.toml) splits this order between the workers and moves
    tests from a busy worker's end to an idle one: a slow test left at the end would keep one worker busy
    while the other had nothing left to do.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# Compiled before any test module is imported: some compute expected texts at import time.
compile_catalogs()


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated to head per run; each test gets a copy, which is far faster than migrating."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(sqlite_url(path))
    return path


@pytest.fixture
def database_path(tmp_path: Path, migrated_template: Path) -> Path:
    path = tmp_path / "portcrm.db"
    shutil.copyfile(migrated_template, path)
    return path


BACKENDS = ["sqlite", pytest.param("postgresql", marks=requires_pg)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """Every test that takes a database runs on both: a SQLite file, and PostgreSQL when configured."""
    if request.param == "sqlite":
        return sqlite_url(request.getfixturevalue("database_path"))
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("tests SQLite's own behaviour")
    return str(request.getfixturevalue("pg_database_url"))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    async with db.session() as s:
        yield s


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    if not PG_URL:
        pytest.skip("PORTCRM_TEST_DATABASE_URL is not set (no PostgreSQL)")
    return PG_URL


def _pg_admin_dsn(server_url: str) -> str:
    return make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_admin(server_url: str, *statements: str) -> None:
    import asyncpg  # only where PostgreSQL is configured

    admin = await asyncpg.connect(_pg_admin_dsn(server_url))
    try:
        for statement in statements:
            await admin.execute(statement)
    finally:
        await admin.close()


def _pg_name(kind: str) -> str:
    return f"portcrm_{kind}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def _pg_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template(pg_server_url: str) -> Iterator[str]:
    """One PostgreSQL database migrated to head per run; each test's database is a copy of it."""
    name = _pg_name("tpl")
    asyncio.run(_pg_admin(pg_server_url, f'CREATE DATABASE "{name}"'))
    migrate.upgrade(_pg_url(pg_server_url, name))
    yield name
    asyncio.run(_pg_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class PgCopies:
    """Copies of the template made one test ahead, on a thread of their own.

    CREATE DATABASE copies the template and waits for its fsync (a few hundred ms on a busy machine); made
    while the previous test runs, it holds no test up. Every test still gets a database nobody used before.
    """

    def __init__(self, server_url: str, template: str) -> None:
        self.server_url, self.template = server_url, template
        self._admin = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-copies")
        self._next = self._copy()

    def _copy(self) -> Future[str]:
        name = _pg_name("t")

        def create() -> str:
            asyncio.run(_pg_admin(self.server_url, f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
            return name

        return self._admin.submit(create)

    def take(self) -> str:
        """A fresh copy's name; the next one is started at once."""
        ready, self._next = self._next, self._copy()
        return ready.result()

    def close(self) -> None:
        """Drops the spare copy."""
        spare = self._next.result()
        self._admin.shutdown(wait=True)
        asyncio.run(_pg_admin(self.server_url, f'DROP DATABASE IF EXISTS "{spare}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_copies(pg_server_url: str, pg_template: str) -> Iterator[PgCopies]:
    copies = PgCopies(pg_server_url, pg_template)
    yield copies
    copies.close()


@pytest.fixture
async def pg_database_url(pg_copies: PgCopies) -> AsyncIterator[str]:
    """A fresh PostgreSQL database at head per test, dropped afterwards: tests never see each other's rows."""
    name = pg_copies.take()
    yield _pg_url(pg_copies.server_url, name)
    # Dropped here, in the test's own event loop, not on the copies' thread: dropped there, a full run once
    # failed an unrelated test with the ResourceWarning of an asyncpg connection garbage collected open. The
    # forced drop ends what a test left connected while its loop can still see it go (a leak to find).
    await _pg_admin(pg_copies.server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def pg_url(pg_server_url: str) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database per test (for tests that run the migrations themselves)."""
    name = _pg_name("e")
    await _pg_admin(pg_server_url, f'CREATE DATABASE "{name}"')
    yield _pg_url(pg_server_url, name)
    await _pg_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
