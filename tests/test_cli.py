"""The `portcrm` command line, run in-process as an operator would run it."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.runtime.cli import main
from portcrm.i18n import gettext_for
from portcrm.settings import PROJECT_ROOT
from tests.importing.hostile import CUSTOMER, UNREADABLE

EXAMPLES = PROJECT_ROOT / "examples"
KINDS = ["customers", "contacts", "shipments", "cargo-events", "invoices", "payments"]


@pytest.fixture(autouse=True)
def _root_logger_restored() -> Iterator[None]:
    """`portcrm run` configures logging to the stderr of its test: later tests must not write there."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


@pytest.fixture
def env(database_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory and a database at head (a copy of the migrated template: running
    `db upgrade` for each test cost more than the test; it has its own test below), and English output."""
    monkeypatch.chdir(database_path.parent)
    monkeypatch.setenv("PORTCRM_DATABASE_URL", f"sqlite+aiosqlite:///{database_path}")
    monkeypatch.setenv("PORTCRM_DEFAULT_LOCALE", "en")
    monkeypatch.setenv("PORTCRM_BOT_USERNAME", "port_test_bot")
    return database_path


def test_db_upgrade_brings_a_new_file_to_head_and_a_second_run_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_template: Path
) -> None:
    database = tmp_path / "crm.db"
    monkeypatch.setenv("PORTCRM_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    assert main(["db", "upgrade"]) == 0
    schema = "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
    with sqlite3.connect(database) as ours, sqlite3.connect(migrated_template) as template:
        assert ours.execute(schema).fetchall() == template.execute(schema).fetchall()
        version = "SELECT version_num FROM alembic_version"
        assert ours.execute(version).fetchall() == template.execute(version).fetchall()
    assert main(["db", "upgrade"]) == 0
    assert _contents(database) == _contents(migrated_template)


def _count(database: Path, table: str) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _contents(database: Path) -> dict[str, int]:
    """Rows in every table: what "nothing was written" is checked against."""
    with sqlite3.connect(database) as connection:
        tables = [
            name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
    return {table: _count(database, table) for table in tables}


def _refused_in_one_line(
    capsys: pytest.CaptureFixture[str], database: Path, argv: list[str], reason: str
) -> None:
    """The import exits 1 with one translated line naming the file, and the database is as it was."""
    before = _contents(database)
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"Nothing was imported from {argv[-1]}: {reason}\n")
    assert _contents(database) == before


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
    assert main(["jobs", "run", "greetings", "--date", "2027-02-06"]) == 0  # 春节 2027
    ran = capsys.readouterr().out
    assert "greetings ran for period 2027-02-06: Spring Festival greetings: 0; birthday greetings: 0" in ran
    assert "{" not in ran, "a job's result is told in words, not printed as a dict"
    assert main(["jobs", "run", "greetings", "--date", "2027-02-06"]) == 0
    assert "greetings already ran for period 2027-02-06; nothing done." in capsys.readouterr().out
    assert main(["jobs", "run", "no_such_job"]) == 2
    assert "Unknown job no_such_job." in capsys.readouterr().out
    assert main(["outbox", "status"]) == 0
    assert capsys.readouterr().out.split() == [
        "pending",
        "0",
        "sent",
        "0",
        "failed",
        "0",
        "unreachable",
        "0",
        "parked",
        "0",
        *["Mail", "to", "customers:"],
        "pending",
        "0",
        "sent",
        "0",
        "failed",
        "0",
    ]
    assert main(["mail", "list"]) == 0
    assert "No mails are waiting" in capsys.readouterr().out


def test_a_job_run_is_told_in_the_operators_language(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORTCRM_DEFAULT_LOCALE", "zh_CN")
    t = gettext_for("zh_CN")
    assert main(["jobs", "run", "complaint_sla", "--date", "2027-03-01"]) == 0
    ran = capsys.readouterr().out.strip()
    counts = [
        t(label).format(n=0) for label in ("open complaints: {n}", "complaints past their deadline: {n}")
    ]
    assert ran.endswith(t("; ").join([*counts, t("escalations: {n}").format(n=0)]))
    assert not re.search(r"[{}]|\b(open|overdue|escalations)\b", ran)


@pytest.mark.parametrize(("name", "content", "reason"), UNREADABLE, ids=[name for name, _, _ in UNREADABLE])
def test_an_unreadable_file_is_refused_in_one_line_and_nothing_is_written(
    env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: Callable[[], bytes],
    reason: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content())
    _refused_in_one_line(capsys, env, ["import", "customers", str(path)], reason)


def test_a_missing_file_a_folder_and_a_huge_file_are_refused_in_one_line(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _refused_in_one_line(
        capsys, env, ["import", "customers", str(tmp_path / "nowhere.csv")], "The file does not exist"
    )
    (tmp_path / "folder.xlsx").mkdir()
    _refused_in_one_line(
        capsys, env, ["import", "customers", str(tmp_path / "folder.xlsx")], "This is a folder, not a file"
    )
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as file:
        file.truncate(65 * 1024 * 1024)  # sparse: takes no disk
    _refused_in_one_line(
        capsys, env, ["import", "customers", str(huge)], "The file is larger than 64 MB: split it"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_read_permission_is_refused_in_one_line(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "locked.csv"
    path.write_text("code,name,type\nC1,n,forwarder\n", encoding="utf-8")
    path.chmod(0)
    _refused_in_one_line(capsys, env, ["import", "customers", str(path)], "No permission to read the file")


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
def test_a_file_the_system_fails_to_read_is_refused_in_one_line(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "io-error.csv"
    path.symlink_to("/proc/self/mem")  # a regular file whose first read fails with EIO, even for root
    _refused_in_one_line(capsys, env, ["import", "customers", str(path)], "The file could not be read")


def test_the_refusal_is_in_the_ports_language(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORTCRM_DEFAULT_LOCALE", "zh_CN")
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(CUSTOMER[:100])
    assert main(["import", "customers", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"未从 {path} 导入任何内容："
        "该文件不是可读取的 Excel 工作簿（.xlsx），可能已损坏、设有密码或是其他类型的文件\n"
    )


def test_a_corrupt_workbook_prints_no_traceback_from_the_real_command(env: Path, tmp_path: Path) -> None:
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(b"this is not a workbook")
    done = subprocess.run(  # noqa: S603 - this interpreter, the project's own command
        [sys.executable, "-m", "bot.runtime.cli", "import", "customers", str(path)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONWARNINGS": "default"},
        check=False,
        timeout=120,
    )
    assert done.returncode == 1
    assert (done.stdout, done.stderr.count("\n")) == ("", 1), done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_a_junk_header_without_rows_names_the_missing_columns_on_row_1(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    from portcrm.importing import IMPORTERS, ImportKind

    path = tmp_path / "junk.csv"
    path.write_text("D" * 5000 + "\n", encoding="utf-8")
    before = _contents(env)
    assert main(["import", kind, str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    required = IMPORTERS[ImportKind(kind)].required
    assert out[0] == f"{path} was rejected and nothing was imported. Problems found: {1 + len(required)}"
    shown = "d" * 39 + "…"  # names are read in lower case
    assert out[1] == f"Row 1, column {shown}: Unknown column: {shown}"
    assert out[2:] == [f"Row 1, column {name}: Required column missing: {name}" for name in required]
    assert _contents(env) == before


# per kind: a header, a row that is good but for {cell}, and the column of {cell}. ONE_LINE's is a text column
# of one line (invoices have none: their number), MULTI_LINE's one whose text may span lines
ONE_LINE = {
    "customers": ("code,name,type", "C1,{cell},forwarder", "name"),
    "contacts": ("customer_code,name,title", "C1,陈建国,{cell}", "title"),
    "shipments": (
        "customer_code,bl_number,direction,cargo_description,vessel_name",
        "C1,COSU6389012450,export,电子产品,{cell}",
        "vessel_name",
    ),
    "cargo-events": (
        "reference,event_type,occurred_at,location",
        "COSU6389012450,gate_in,2026-11-02 14:20,{cell}",
        "location",
    ),
    "invoices": (
        "number,customer_code,issued_on,due_on,amount",
        "{cell},C1,2026-11-06,2026-12-06,100",
        "number",
    ),
    "payments": ("reference,invoice_number,paid_on,amount", "{cell},INV1,2026-11-07,100", "reference"),
}
MULTI_LINE = {
    "customers": ("code,name,type,business_scope", "C1,宁波远洋,forwarder,{cell}", "business_scope"),
    "shipments": (
        "customer_code,bl_number,direction,cargo_description",
        "C1,COSU6389012450,export,{cell}",
        "cargo_description",
    ),
    "cargo-events": (
        "reference,event_type,occurred_at,note",
        "COSU6389012450,gate_in,2026-11-02 14:20,{cell}",
        "note",
    ),
    "invoices": (
        "number,customer_code,issued_on,due_on,amount,description",
        "INV1,C1,2026-11-06,2026-12-06,100,{cell}",
        "description",
    ),
}
TEXT_CELLS = [pytest.param(*ONE_LINE[kind], id=f"{kind}-one-line") for kind in KINDS] + [
    pytest.param(*MULTI_LINE[kind], id=f"{kind}-multi-line") for kind in MULTI_LINE
]


def _import_one_row(tmp_path: Path, kind: str, header: str, row: str, cell: str) -> int:
    path = tmp_path / "file.csv"
    quoted = '"' + cell.replace('"', '""') + '"'
    path.write_text(f"{header}\n{row.replace('{cell}', quoted)}\n", encoding="utf-8")
    return main(["import", kind, str(path)])


def _kind_of(header: str) -> str:
    return next(kind for kind in KINDS if header in (ONE_LINE[kind][0], MULTI_LINE.get(kind, ("",))[0]))


@pytest.mark.parametrize(("header", "row", "column"), TEXT_CELLS)
@pytest.mark.parametrize(
    ("character", "code"),
    [
        ("\x00", "0000"),
        ("\x07", "0007"),
        ("\x1b", "001B"),
        ("\x7f", "007F"),
        ("\x85", "0085"),
        ("\x9b", "009B"),
    ],
    ids=["NUL", "BEL", "ESC", "DEL", "NEL", "CSI"],
)
def test_a_control_character_in_a_text_cell_is_refused_with_its_row_and_column(
    env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    header: str,
    row: str,
    column: str,
    character: str,
    code: str,
) -> None:
    before = _contents(env)
    assert _import_one_row(tmp_path, _kind_of(header), header, row, f"NB{character}1") == 1
    out = capsys.readouterr().out.splitlines()
    message = f"Column {column} contains a control character (U+{code}), which is not allowed"
    assert f"Row 2, column {column}: {message}" in out
    assert character not in "\n".join(out), "the refused text is never echoed"
    assert _contents(env) == before


@pytest.mark.parametrize(
    ("header", "row", "column"), [pytest.param(*ONE_LINE[kind], id=kind) for kind in KINDS]
)
@pytest.mark.parametrize("layout", ["\n", "\r\n", "\t", "\r"], ids=["LF", "CRLF", "TAB", "CR"])
def test_a_tab_or_line_break_is_refused_in_a_one_line_cell(
    env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    header: str,
    row: str,
    column: str,
    layout: str,
) -> None:
    before = _contents(env)
    assert _import_one_row(tmp_path, _kind_of(header), header, row, f"NB{layout}1") == 1
    out = capsys.readouterr().out.splitlines()
    assert f"Row 2, column {column}: Column {column} must be one line: it contains a line break or tab" in out
    assert _contents(env) == before


def test_line_breaks_and_tabs_are_kept_in_multi_line_text_and_trimmed_around_any_cell(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(
        "code,name,type,business_scope\r\n"
        'C1,"\t宁波远洋\r\n",forwarder,"国际货运代理\r\n订舱\t报关\r二部"\r\n'.encode()
    )
    assert main(["import", "customers", str(path)]) == 0, capsys.readouterr()
    with sqlite3.connect(env) as connection:
        stored = connection.execute("SELECT name, business_scope FROM customers").fetchone()
    assert stored == ("宁波远洋", "国际货运代理\n订舱\t报关\n二部")
