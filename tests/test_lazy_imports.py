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
    "aiohttp.web",  # the webhook's and the feed receiver's server: a polling bot without feeds serves no HTTP
    "aiogram.webhook",
    "holidays",  # the port calendar
    "sqlalchemy.dialects.postgresql",  # on SQLite
    "matplotlib",
    "noto_cjk_sans_otc",  # the charts' font: registered with matplotlib on the first chart
    "openpyxl",
    "pypinyin",
)


def _loaded_after(imports: str, watched: tuple[str, ...]) -> list[str]:
    """Which of `watched` a fresh interpreter holds after running `imports`."""
    script = f"import sys; {imports}; print(','.join(m for m in {watched!r} if m in sys.modules))"
    loaded = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return [name for name in loaded.stdout.strip().split(",") if name]


@pytest.mark.slow
def test_the_bot_starts_without_importing_what_it_loads_on_first_use() -> None:
    imports = "import bot.runtime.app, bot.runtime.cli, bot.runtime.cli_commands"
    assert _loaded_after(imports, LOADED_ON_FIRST_USE) == []


def test_the_jobs_child_process_imports_no_aiogram() -> None:
    """bot/runtime/job_child.py: a job's child process costs about 70 MB, not the bot's 210."""
    assert _loaded_after("import bot.runtime.job_child", ("aiogram", "bot.handlers")) == []


def test_the_port_calendar_loads_chinas_holidays_alone() -> None:
    """Not the 250 countries of `holidays.countries` (7 MB more): portcrm/calendar.py."""
    imports = "from portcrm.calendar import china; china(2027)"
    watched = ("holidays.countries.china", "holidays.countries", "holidays.countries.japan")
    assert _loaded_after(imports, watched) == ["holidays.countries.china"]


async def test_the_child_process_upgrades_the_database_to_head(tmp_path: Path) -> None:
    path = tmp_path / "child.db"
    await migrate.upgrade_in_child(f"sqlite+aiosqlite:///{path}")
    assert "received_updates" in inspect(create_engine(f"sqlite:///{path}")).get_table_names()


async def test_a_failed_upgrade_in_the_child_stops_the_start_up(tmp_path: Path) -> None:
    with pytest.raises(migrate.MigrationFailed):
        await migrate.upgrade_in_child(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/child.db")
