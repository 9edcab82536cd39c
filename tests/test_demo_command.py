"""`portcrm demo` end to end: seed, sandbox, bot and the terminal in one process, no network.

Each test runs the real command, `main(["demo", ...])`, in an empty folder as the README's first command does.
pytest's stdin is not a terminal, so without --say the demo plays its tour.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.runtime.cli import main
from portcrm.demo.feed_cargo import IMPORT_BL, IMPORT_BOX
from portcrm.demo.personas import DEMO_PERSONAS, PERSONA_COMPANY
from portcrm.i18n import gettext_for
from portcrm.services.reports.workbook import SHEETS

pytestmark = pytest.mark.slow  # scheduled first (tests/conftest.py)

T = gettext_for("zh_CN")
PNG = b"\x89PNG\r\n\x1a\n"


def _plain(message: str) -> str:
    """A message's text before its first placeholder, without HTML: what the terminal shows of it."""
    return re.sub(r"<[^>]+>", "", message).split("{")[0].strip()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PORTCRM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("PORTCRM_DEFAULT_LOCALE", "zh_CN")
    return tmp_path


def test_the_first_run_shows_a_push_a_chinese_chart_and_a_workbook_saved_to_disk(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    saved = folder / "portcrm-demo-files" / "manager"
    # the morning's jobs ran, and their pushes reached the manager's chat when the outbox sent them
    assert T("The scheduled jobs ran:") in out
    assert _plain(T("<b>Grade review {period}</b>")) in out
    assert (
        f"🔔 {T('New for {name}: type :persona {key} to see it.').format(name='李娜', key='customer')}" in out
    )
    # /report: five charts saved as PNG files (drawn in Chinese: a missing glyph would warn, and warnings fail
    # the test), their paths printed; then the workbook of their numbers, its sheets named in Chinese
    assert _plain(T("<b>Management report</b>, {date}")) in out
    charts = sorted(saved.glob("report-*.png"))
    assert len(charts) == 5
    for chart in charts:
        assert T("{kind} saved to {path}").format(kind=T("Photo"), path=chart) in out
        assert chart.read_bytes().startswith(PNG)
        with Image.open(chart) as image:
            assert image.width >= 600
    [workbook] = saved.glob("report-*.xlsx")
    assert load_workbook(workbook).sheetnames == [T(name) for name in SHEETS]
    # the ledger export, pressed at its first press by its label
    [ledger] = saved.glob("receivables-*.xlsx")
    assert load_workbook(ledger).active.max_row > 100
    assert T("{kind} saved to {path}").format(kind=T("File"), path=ledger) in out
    assert "Traceback" not in out


def _waiting_box(database: Path, user_id: int) -> tuple[str, str]:
    """B/L and container of the customer persona's import waiting for pick-up."""
    with sqlite3.connect(database) as db:
        found = db.execute(
            "SELECT s.bl_number, c.number FROM shipments s JOIN containers c ON c.shipment_id = s.id "
            "JOIN contacts p ON p.customer_id = s.customer_id "
            "WHERE p.telegram_user_id = ? AND s.status = 'available_for_pickup' ORDER BY c.number",
            (user_id,),
        ).fetchone()
    assert found is not None
    return found


def test_the_port_is_kept_between_runs_unless_fresh_and_a_file_sent_reaches_the_customer(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    customer = next(p for p in DEMO_PERSONAS if p.key == "customer")
    argv = ["demo", "--persona", "customer", "--say", "/start", "--say", "/language", "--say", "#3"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    welcome = T("Welcome back, {contact} of {company}.").format(contact="李娜", company=PERSONA_COMPANY)
    assert welcome in first
    assert "[#3] English" in first
    assert "Language set to English." in first
    assert (
        _plain(T("<b>Free time ends within {hours} hours</b> · {reference}")) in first
    )  # box's LFD is close

    # operations records the box leaving the terminal, from a file; the customer's push waits for them
    bl, box = _waiting_box(folder / "portcrm-demo.db", customer.telegram_user_id)
    when = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(minutes=5)
    events = folder / "gate out.csv"
    events.write_text(
        "reference,container_number,event_type,occurred_at,location,note\n"
        f"{bl},{box},gate_out,{when:%Y-%m-%d %H:%M},北仑第三集装箱码头,\n",
        encoding="utf-8",
    )
    argv = ["demo", "--persona", "operations", "--say", "#1", "--say", "/events"]
    argv += ["--say", f':file "{events}"', "--say", ":persona customer"]
    assert main(argv) == 0
    second = capsys.readouterr().out
    kept = T("Opening the demo port in {path} as the last run left it (--fresh starts over).")
    assert kept.format(path="portcrm-demo.db") in second
    assert T("There are no buttons to press now.") in second
    imported = T("Imported {rows} row(s): {created} new, {updated} updated, {unchanged} unchanged.")
    assert imported.format(rows=1, created=1, updated=0, unchanged=0) in second
    assert (
        f"🔔 {T('New for {name}: type :persona {key} to see it.').format(name='李娜', key='customer')}"
        in second
    )
    switched = second.split(T("New messages for {name}: {count}").format(name="李娜", count=1))
    assert len(switched) == 2, "switching shows what arrived meanwhile"
    assert f"Cargo update · {bl}" in switched[1]  # in English: the choice made in the last run was kept

    assert main(["demo", "--fresh", "--persona", "customer", "--say", "/help"]) == 0
    third = capsys.readouterr().out
    assert T("Seeding the demo port into {path} …").format(path="portcrm-demo.db") in third
    assert T("What I can do for you") in third  # Chinese again: a new port


def test_a_marketer_checks_in_with_a_location_and_a_photo(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = ["/visit C00001", "#1", "谈下季度欧洲航线货量。", "客户计划增加货量。", "#1"]
    script += ["#1", ":photo", "#2", "#" + T("Save"), "#1"]  # #1: the reply keyboard's "share my location"
    assert main(["demo", "--persona", "marketer", *[arg for line in script for arg in ("--say", line)]]) == 0
    out = capsys.readouterr().out
    assert T("Location recorded.") in out
    assert T("Location: {lat:.5f}, {lon:.5f}").format(lat=29.9386, lon=121.8453) in out
    assert _plain(T("Received {count} of at most {limit} photos. Send more, or press Save.")) in out
    assert _plain(T("<b>Visit saved</b>")) in out
    no_second = T("There is no button {button}: the latest message with buttons has {count}.")
    assert no_second.format(button="#2", count=1) in out  # the photo prompt has one: Save
    assert out.rstrip().endswith(T("There are no buttons to press now."))  # Save took it away
    with sqlite3.connect(folder / "portcrm-demo.db") as db:
        latitude, longitude = db.execute(
            "SELECT latitude, longitude FROM visits ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert (latitude, longitude) == pytest.approx((29.9386, 121.8453))


def test_at_a_terminal_the_user_chooses_who_to_be_and_types_demo_commands(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = iter(["9", "6", ":help", ":jobs grading", ":jobs nightly", ":persona", "1", ":quit"])

    def keyboard(prompt: str = "") -> str:  # the demo reads each line on a thread of its own
        line = next(typed, None)
        if line is None:
            raise EOFError
        return line

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", keyboard)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert T("Please type a number from 1 to {count}.").format(count=len(DEMO_PERSONAS)) in out
    manager = next(p for p in DEMO_PERSONAS if p.key == "manager")
    assert T("You are now: {description}").format(description=manager.describe(T)) in out
    assert (
        T("Photos and files the bot sends are saved under {folder}.").format(folder="portcrm-demo-files")
        in out
    )
    grading = T("Monthly grading: propose grade changes to managers")
    assert re.search(
        re.escape(T("{job}: already ran for {period}.").split("{period}")[0].format(job=grading)), out
    )
    assert T("Unknown job {name}. Jobs: {names}").split("{names}")[0].format(name="nightly") in out
    assert out.count(T("Who do you want to be?")) == 2  # :persona without a key asks again


def test_help_lists_the_personas(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["demo", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--fresh" in out
    for persona in DEMO_PERSONAS:
        assert re.search(rf"^  {persona.key}\s+{persona.first_name}", out, re.MULTILINE)


def test_an_unknown_persona_is_refused(folder: Path) -> None:
    assert main(["demo", "--persona", "captain"]) == 2


def test_the_example_feeds_reach_the_customer_persona_by_the_real_paths(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fresh port takes in examples/feeds/: the EDIFACT files as `edi ingest` does, the DCSA batch signed
    and POSTed to the demo's own receiver; the customer following the import sees it discharged, released
    and ready, and /track answers "can I pick up?"."""
    assert main(["demo", "--fresh", "--persona", "customer", "--say", f"/track {IMPORT_BL}"]) == 0
    out = capsys.readouterr().out
    _ = gettext_for("zh_CN")

    def shown(text: str) -> str:  # as the chat shows it: the HTML's tags parsed away
        return re.sub(r"<[^>]+>", "", text)

    assert "HTTP 204" in out  # the signed DCSA batch was accepted by the demo's own receiver
    for name in ("codeco.edi", "coarri.edi", "iftsta.edi"):
        assert f"examples/feeds/{name}" in out
    assert shown(_("<b>Ready for pick-up</b> · {reference}").format(reference=IMPORT_BL)) in out
    available = _("{state}: {containers}").format(state=_("available for pick-up"), containers=IMPORT_BOX)
    card = out.index(_("Can I pick up?"))
    assert out.index(available, card) > card
