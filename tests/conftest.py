"""Shared fixtures: real SQLite files migrated by Alembic, and PostgreSQL/Redis when configured."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm import migrate
from portcrm.db import Database
from portcrm.i18n import compile_catalogs

PG_URL = os.environ.get("PORTCRM_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("PORTCRM_TEST_REDIS_URL")
requires_pg = pytest.mark.skipif(not PG_URL, reason="PORTCRM_TEST_DATABASE_URL is not set (no PostgreSQL)")
requires_redis = pytest.mark.skipif(not REDIS_URL, reason="PORTCRM_TEST_REDIS_URL is not set (no Redis)")


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


@pytest.fixture
def database_url(database_path: Path) -> str:
    return sqlite_url(database_path)


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


@pytest.fixture
async def pg_url(pg_server_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database per test, dropped afterwards: tests never see each other's rows."""
    import asyncpg  # only where PostgreSQL is configured
    from sqlalchemy.engine import make_url

    server = make_url(pg_server_url)
    name = f"portcrm_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield server.set(database=name).render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
