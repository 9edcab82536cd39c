"""Schema migrations through Alembic, configured in code so they work from any working directory."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config

from portcrm.settings import PROJECT_ROOT


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    # '%' must be doubled for ConfigParser interpolation (passwords may contain it)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """For callers already inside an event loop: env.py runs its own loop, so it needs a thread."""
    await asyncio.to_thread(upgrade, url, revision)
