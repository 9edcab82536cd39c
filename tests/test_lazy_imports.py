"""What the bot keeps out of its memory at start-up (bench/memory.py measures the cost of each)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from portcrm.storage import migrate

# loaded where they are used: each costs the bot's process megabytes for its whole life
LOADED_ON_FIRST_USE = (
    "alembic",  # migrations run in a child process
    "holidays",  # the port calendar
    "sqlalchemy.dialects.postgresql",  # on SQLite
    "matplotlib",
    "noto_cjk_sans_otc",  # the charts' font: registered with matplotlib on the first chart
    "openpyxl",
    "pypinyin",
)


@pytest.mark.slow
def test_the_bot_starts_without_importing_what_it_loads_on_first_use() -> None:
    script = (
        "import sys, bot.runtime.app, bot.runtime.cli, bot.runtime.cli_commands; "
        f"print(','.join(m for m in {LOADED_ON_FIRST_USE!r} if m in sys.modules))"
    )
    loaded = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == ""


async def test_the_child_process_upgrades_the_database_to_head(tmp_path: Path) -> None:
    path = tmp_path / "child.db"
    await migrate.upgrade_in_child(f"sqlite+aiosqlite:///{path}")
    assert "received_updates" in inspect(create_engine(f"sqlite:///{path}")).get_table_names()


async def test_a_failed_upgrade_in_the_child_stops_the_start_up(tmp_path: Path) -> None:
    with pytest.raises(migrate.MigrationFailed):
        await migrate.upgrade_in_child(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/child.db")
