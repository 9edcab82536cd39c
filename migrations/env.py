"""Alembic environment: async engines, batch mode on SQLite, the URL from PortCRM's settings."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from portcrm.models import Base
from portcrm.models.base import UTCDateTime
from portcrm.settings import load_settings
from portcrm.storage.db import create_engine

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write app-level column types as their plain SQL type, so old revisions never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Instances started together after a deploy all upgrade: one migrates, the others wait for its
            # commit, then find the schema at head. (SQLite has one writer at a time anyway.)
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('portcrm-migrations'))"))
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed in by portcrm.storage.migrate (tests, an engine already open)
        _configure(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or load_settings().database_url
    asyncio.run(_run_async(url))


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or load_settings().database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
