"""The LFD warnings from the command line, and a bad tariff file stopping the commands that would use it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.runtime.cli import main
from tests.free_time.support import TARIFF_TOML


@pytest.fixture(autouse=True)
def _root_logger_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


@pytest.fixture
def env(database_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder, its database a copy of the migrated template (see tests/test_cli.py)."""
    monkeypatch.chdir(database_path.parent)
    monkeypatch.setenv("PORTCRM_DATABASE_URL", f"sqlite+aiosqlite:///{database_path}")
    monkeypatch.setenv("PORTCRM_DEFAULT_LOCALE", "en")
    return database_path.parent


def test_the_warnings_run_by_name_once_per_hour(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["jobs", "list"]) == 0
    assert "free_time_alerts" in capsys.readouterr().out
    assert main(["jobs", "run", "free_time_alerts", "--date", "2026-03-06"]) == 0
    out = capsys.readouterr().out
    summary = "shipments whose free time runs: 0; Last Free Day warnings: 0"
    assert f"free_time_alerts ran for period 2026-03-06T00: {summary}" in out
    assert main(["jobs", "run", "free_time_alerts", "--date", "2026-03-06"]) == 0
    assert "already ran for period 2026-03-06T00" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["jobs", "run", "free_time_alerts"], ["run"]])
def test_a_bad_tariff_file_stops_with_one_clear_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    tariff = env / "tariff.toml"
    tariff.write_text(TARIFF_TOML.replace('currency = "CNY"', 'currency = "RMB¥"'), encoding="utf-8")
    monkeypatch.setenv("PORTCRM_TARIFF_FILE", str(tariff))
    monkeypatch.setenv("PORTCRM_BOT_TOKEN", "123456:PORTCRM-cli-test")
    monkeypatch.setenv("PORTCRM_TELEGRAM_API_URL", "http://127.0.0.1:9")  # never reached
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (
        f"portcrm: configuration error: PORTCRM_TARIFF_FILE: {tariff}: currency: currency 'RMB¥' must be an "
        "ISO 4217 code such as CNY or USD"
    )
