"""`portcrm edi ingest FILE...`, run in-process as an operator would run it, on both backends."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.runtime.cli import main
from portcrm.models import EdiInterchange, FeedEventReceipt
from portcrm.storage.db import Database
from tests.feeds.edifact.builders import SAMPLES


@pytest.fixture
def inbox(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding copies of the samples, the database migrated, and English output."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTCRM_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTCRM_DEFAULT_LOCALE", "en")
    folder = tmp_path / "in"
    shutil.copytree(SAMPLES, folder)
    return folder


def receipts(database_url: str) -> tuple[int, int]:
    async def counted() -> tuple[int, int]:
        db = Database(database_url)
        try:
            async with db.session() as session:
                events = await session.scalar(select(func.count()).select_from(FeedEventReceipt))
                interchanges = await session.scalar(select(func.count()).select_from(EdiInterchange))
                return int(events or 0), int(interchanges or 0)
        finally:
            await db.dispose()

    return asyncio.run(counted())


def test_good_files_are_taken_in_and_stay_where_they_are(
    inbox: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [inbox / "codeco_gate.edi", inbox / "iftsta_status.edi"]
    assert main(["edi", "ingest", *map(str, files)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [
        f"{files[0]}: interchange CO2611140935 from YSCT: 3 messages (0 broken), 4 events: 0 recorded, "
        "0 repeated, 0 superseded, 4 waiting for their shipment.",
        f"{files[1]}: interchange ST2611151000 from COSCON: 2 messages (0 broken), 4 events: 0 recorded, "
        "0 repeated, 0 superseded, 4 waiting for their shipment.",
        f"{files[1]}: note: message ST00001 (IFTSTA), segment STS number 20, line 22, column 1: "
        "status code RL is not tracked (listed as ignored); skipped",
    ]
    assert all(f.exists() for f in files)
    assert receipts(database_url) == (8, 2)

    assert main(["edi", "ingest", str(files[0])]) == 0
    out, _ = capsys.readouterr()
    assert out == f"{files[0]}: interchange CO2611140935 from YSCT was received before; skipped.\n"
    assert receipts(database_url) == (8, 2)


def test_bad_files_go_to_quarantine_with_one_line_per_problem(
    inbox: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    broken, good = inbox / "coarri_broken.edi", inbox / "coarri_discharge.edi"
    binary, missing = inbox / "photo.jpg", inbox / "absent.edi"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    assert main(["edi", "ingest", str(broken), str(binary), str(missing), str(good)]) == 1
    out, err = capsys.readouterr()
    quarantine = inbox / "quarantine"
    assert err.splitlines() == [
        f"{broken}: message CA00012 (COARRI), segment EQD number 10, line 31, column 1: "
        "invalid container number SEGU5566773 (ISO 6346 check digit)",
        f"{broken}: moved to {quarantine / broken.name}, report in {quarantine / broken.name}.report.txt",
        f"{binary}: not taken in: the file is not EDIFACT text (binary content)",
        f"{binary}: moved to {quarantine / binary.name}, report in {quarantine / binary.name}.report.txt",
        f"{missing}: cannot be opened: No such file or directory",
    ]
    assert out.splitlines() == [
        f"{broken}: interchange CA2611150700 from YSCT: 3 messages (1 broken), 2 events: 0 recorded, "
        "0 repeated, 0 superseded, 2 waiting for their shipment.",
        f"{good}: interchange CA2611150640 from YSCT: 1 messages (0 broken), 2 events: 0 recorded, "
        "0 repeated, 0 superseded, 2 waiting for their shipment.",
    ]
    assert not broken.exists()
    assert not binary.exists()
    assert good.exists()
    report = (quarantine / "coarri_broken.edi.report.txt").read_text()
    assert "Interchange CA2611150700 from YSCT, prepared 2026-11-15 07:00." in report
    assert "Messages: 3, of which broken (left out): 1." in report
    assert (
        "  - message CA00012 (COARRI), segment EQD number 10, line 31, column 1: invalid container" in report
    )
    assert receipts(database_url) == (4, 1), (
        "the good messages went through; the broken file is not remembered"
    )


def test_the_drop_folders_quarantine_is_used_when_set(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORTCRM_EDI_DROP_DIR", str(tmp_path / "drop"))
    assert main(["edi", "ingest", str(inbox / "iftsta_partner_codes.edi")]) == 1
    _, err = capsys.readouterr()
    assert "status code 25 of sender SIPGYD has no mapping" in err
    assert (tmp_path / "drop" / "quarantine" / "iftsta_partner_codes.edi").exists()

    monkeypatch.setenv("PORTCRM_EDI_PARTNERS_FILE", str(Path(__file__).parent / "partners.toml"))
    shutil.copy(SAMPLES / "iftsta_partner_codes.edi", inbox)
    assert main(["edi", "ingest", str(inbox / "iftsta_partner_codes.edi")]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "1 messages (0 broken), 2 events" in out
    assert "note: message YD00001 (IFTSTA), segment STS number 12" in out


def test_a_bad_partners_file_stops_with_one_line(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    partners = tmp_path / "partners.toml"
    partners.write_text('[partners.T1.iftsta.statuses]\n"25" = "held"\n')
    monkeypatch.setenv("PORTCRM_EDI_PARTNERS_FILE", str(partners))
    assert main(["edi", "ingest", str(inbox / "codeco_gate.edi")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"portcrm: configuration error: {partners}: partners.T1.iftsta.statuses.25: 'held'")
    assert err.count("\n") == 1


def test_the_output_speaks_the_ports_language(
    inbox: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORTCRM_DEFAULT_LOCALE", "zh_CN")
    binary = inbox / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    assert main(["edi", "ingest", str(binary)]) == 1
    _, err = capsys.readouterr()
    first = err.splitlines()[0]
    assert first.startswith(f"{binary}：")
    assert "EDIFACT" in first
    assert "binary content" not in first
