"""The `portcrm` command line, run in-process as an operator would run it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.runtime.cli import main
from portcrm.settings import PROJECT_ROOT

EXAMPLES = PROJECT_ROOT / "examples"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory and database, and English output for readable assertions."""
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "crm.db"
    monkeypatch.setenv("PORTCRM_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.setenv("PORTCRM_DEFAULT_LOCALE", "en")
    monkeypatch.setenv("PORTCRM_BOT_USERNAME", "port_test_bot")
    assert main(["db", "upgrade"]) == 0
    return database


def _count(database: Path, table: str) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PORTCRM_TIMEZONE", "Mars/Olympus", "PORTCRM_TIMEZONE: unknown time zone 'Mars/Olympus'"),
        ("PORTCRM_DEFAULT_LOCALE", "fr", "PORTCRM_DEFAULT_LOCALE: Input should be 'zh_CN', 'zh_TW' or 'en'"),
        ("PORTCRM_DATABASE_URL", "mysql://x", "PORTCRM_DATABASE_URL: must use sqlite+aiosqlite://"),
    ],
)
def test_a_malformed_setting_stops_with_one_clear_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err


def test_run_without_a_token_says_so_and_a_bad_token_is_never_echoed(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PORTCRM_BOT_TOKEN", raising=False)
    assert main(["run"]) == 2
    assert "PORTCRM_BOT_TOKEN is not set" in capsys.readouterr().err
    monkeypatch.setenv("PORTCRM_BOT_TOKEN", "secret-without-colon")
    assert main(["run"]) == 2
    assert "secret-without-colon" not in capsys.readouterr().err


def test_run_on_a_database_it_cannot_upgrade_stops_with_one_translated_line(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORTCRM_BOT_TOKEN", "123456:PORTCRM-cli-test")
    monkeypatch.setenv("PORTCRM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/crm.db")
    monkeypatch.setenv("PORTCRM_DEFAULT_LOCALE", "zh_CN")
    assert main(["run"]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == "portcrm: 数据库升级失败（退出码 1），错误信息见上方。"


def test_examples_import_in_order_and_a_second_run_changes_nothing(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kinds = ["customers", "contacts", "shipments", "cargo-events", "invoices", "payments"]
    for kind in kinds:
        assert main(["import", kind, str(EXAMPLES / f"{kind}.csv")]) == 0, capsys.readouterr()
    audit_rows = _count(env, "audit_log")
    for kind in kinds:
        assert main(["import", kind, str(EXAMPLES / f"{kind}.csv")]) == 0
        assert " 0 created, 0 updated" in capsys.readouterr().out
    assert _count(env, "audit_log") == audit_rows


def test_a_bad_file_is_rejected_whole_with_a_row_by_row_report(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", "customers", str(EXAMPLES / "bad" / "customers.csv")]) == 1
    out = capsys.readouterr().out
    assert "was rejected and nothing was imported" in out
    assert "Row 3" in out
    assert _count(env, "customers") == 0
    assert _count(env, "audit_log") == 0


def test_staff_add_and_invite_print_a_one_time_deep_link(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "add", "777", "--name", "陈经理", "--role", "market", "--role", "manager"]) == 0
    assert "has roles: Market department and Manager." in capsys.readouterr().out
    main(["import", "customers", str(EXAMPLES / "customers.csv")])
    main(["import", "contacts", str(EXAMPLES / "contacts.csv")])
    capsys.readouterr()
    with sqlite3.connect(env) as connection:
        code = connection.execute("SELECT code FROM customers ORDER BY id LIMIT 1").fetchone()[0]
    assert main(["invite", code]) == 0
    assert "https://t.me/port_test_bot?start=" in capsys.readouterr().out
    assert main(["invite", "NO-SUCH"]) == 1
    assert "No customer with code NO-SUCH." in capsys.readouterr().err


def test_backup_is_a_consistent_copy(env: Path, tmp_path: Path) -> None:
    main(["import", "customers", str(EXAMPLES / "customers.csv")])
    target = tmp_path / "backup.db"
    assert main(["db", "backup", str(target)]) == 0
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _count(target, "customers") == _count(env, "customers") > 0
    assert main(["db", "backup", str(target)]) == 1, "an existing backup is never overwritten"


def test_jobs_are_listed_and_a_manual_run_claims_its_period_once(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["jobs", "list"]) == 0
    listed = capsys.readouterr().out
    for name in ("greetings", "receivables", "complaint_sla", "grading", "revisit_reminders"):
        assert name in listed
    assert main(["jobs", "run", "greetings", "--date", "2027-02-06"]) == 0
    assert "greetings ran for period 2027-02-06" in capsys.readouterr().out
    assert main(["jobs", "run", "greetings", "--date", "2027-02-06"]) == 0
    assert "greetings already ran for period 2027-02-06; nothing done." in capsys.readouterr().out
    assert main(["jobs", "run", "no_such_job"]) == 2
    assert "Unknown job no_such_job." in capsys.readouterr().out
    assert main(["outbox", "status"]) == 0
    assert capsys.readouterr().out.split() == ["pending", "0", "sent", "0", "failed", "0", "unreachable", "0"]
