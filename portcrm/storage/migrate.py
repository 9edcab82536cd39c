"""Schema migrations through Alembic, configured in code so they work from any working directory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from portcrm.errors import N_, DomainError
from portcrm.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where it runs, not here: the bot imports this module only to start the child below.

_URL_VARIABLE = "PORTCRM_MIGRATE_URL"  # the environment, not argv: a password in argv shows in `ps`


class MigrationFailed(DomainError):
    """The command line prints it translated, under the child's own account of what went wrong."""

    message = N_("The database upgrade failed (exit code {code}); its error is shown above.")


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    # '%' must be doubled for ConfigParser interpolation (passwords may contain it)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """For callers already inside an event loop: env.py runs its own loop, so it needs a thread."""
    await asyncio.to_thread(upgrade, url, revision)


async def upgrade_in_child(url: str) -> None:
    """Upgrade to head from a child process, for the long-running bot and worker.

    Alembic, its environment and the migration scripts cost about 13 MB of memory that a process keeps for
    its life once it has run them (bench/memory.py); the child returns it when it exits. Its errors reach
    the same stderr, and a failed upgrade stops the start-up.
    """
    async with upgrading_in_child(url):
        pass


@contextlib.asynccontextmanager
async def upgrading_in_child(url: str) -> AsyncIterator[None]:
    """`upgrade_in_child`, started on entry and waited for on exit: the caller's own start-up work that
    needs no database runs meanwhile (the bot imports aiogram, seconds of CPU, while the child migrates)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "portcrm.storage.migrate", env={**os.environ, _URL_VARIABLE: url}
    )
    try:
        yield
    finally:
        code = await process.wait()
    if code:
        raise MigrationFailed(code=code)


if __name__ == "__main__":
    upgrade(os.environ[_URL_VARIABLE])
