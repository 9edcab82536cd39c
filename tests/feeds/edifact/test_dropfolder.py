"""The watched drop folder: complete files only, moved after their events are committed, never lost."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portcrm.feeds.edifact.dropfolder import DropFolder
from portcrm.feeds.edifact.ingest import FileReport, ingest_edi_file
from portcrm.models import FeedEventReceipt
from portcrm.settings import Settings
from portcrm.storage.db import Database
from tests.feeds.edifact.builders import SAMPLES, TZ


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    return tmp_path / "drop"


@pytest.fixture
def settings(database_url: str, drop: Path) -> Settings:
    return Settings(_env_file=None, database_url=database_url, edi_drop_dir=drop, default_locale="en")


@pytest.fixture
async def folder(db: Database, settings: Settings) -> DropFolder:
    return DropFolder(db, settings)


async def receipts(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(FeedEventReceipt)) or 0)


def put(drop: Path, sample: str, name: str | None = None) -> Path:
    drop.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(SAMPLES / sample, drop / (name or sample)))


def tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@contextlib.asynccontextmanager
async def watching(db: Database, settings: Settings) -> AsyncIterator[asyncio.Queue[FileReport]]:
    """The folder watched as the bot watches it (its loop, polling fast): each file taken is reported."""
    taken: asyncio.Queue[FileReport] = asyncio.Queue()
    task = asyncio.create_task(DropFolder(db, settings, poll=0.02, on_report=taken.put_nowait).run())
    try:
        yield taken
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_dropped_file_is_taken_in_and_moved_to_done(
    db: Database, settings: Settings, drop: Path
) -> None:
    async with watching(db, settings) as taken:
        put(drop, "codeco_gate.edi")
        report = await asyncio.wait_for(taken.get(), timeout=30)
    assert (report.path.name, report.quarantined, len(report.events)) == ("codeco_gate.edi", False, 4)
    assert tree(drop) == ["done", "done/codeco_gate.edi"]
    assert await receipts(db) == 4


async def test_a_file_is_taken_only_once_it_stops_growing(folder: DropFolder, drop: Path) -> None:
    whole = (SAMPLES / "coarri_discharge.edi").read_bytes()
    upload = put(drop, "coarri_discharge.edi", "coarri.edi")
    upload.write_bytes(whole[:300])
    assert await folder.scan() == []  # first seen
    with upload.open("ab") as file:
        file.write(whole[300:])
    assert await folder.scan() == []  # it grew since
    (report,) = await folder.scan()  # the same as at the last scan: complete
    assert (report.quarantined, len(report.events)) == (False, 2)
    assert (drop / "done" / "coarri.edi").read_bytes() == whole


async def test_temporary_names_and_dotfiles_are_left_alone(folder: DropFolder, drop: Path) -> None:
    waiting = [
        put(drop, "codeco_gate.edi", name) for name in ("a.edi.part", ".b.edi", "c.edi.tmp", "d.filepart")
    ]
    put(drop, "coarri_discharge.edi")
    assert await folder.scan() == []
    (report,) = await folder.scan()
    assert report.path.name == "coarri_discharge.edi"
    assert all(path.exists() for path in waiting)
    # the upload is renamed when complete: then it is taken
    waiting[0].rename(drop / "a.edi")
    assert await folder.scan() == []
    assert [r.path.name for r in await folder.scan()] == ["a.edi"]


async def test_a_broken_file_goes_to_quarantine_with_its_report_and_its_good_messages_through(
    db: Database, settings: Settings, drop: Path
) -> None:
    async with watching(db, settings) as taken:
        put(drop, "coarri_broken.edi")
        (drop / "scan.pdf.edi").write_bytes(b"%PDF-1.7\n\x00\x01\x02")
        reports = {r.path.name: r for r in [await asyncio.wait_for(taken.get(), 30) for _ in range(2)]}
    assert reports["coarri_broken.edi"].broken == 1
    assert reports["scan.pdf.edi"].unreadable is not None
    quarantine = drop / "quarantine"
    assert sorted(p.name for p in quarantine.iterdir()) == [
        "coarri_broken.edi",
        "coarri_broken.edi.report.txt",
        "scan.pdf.edi",
        "scan.pdf.edi.report.txt",
    ]
    report = (quarantine / "coarri_broken.edi.report.txt").read_text()
    assert (
        "message CA00012 (COARRI), segment EQD number 10, line 31, column 1: invalid container number"
        in report
    )
    assert (
        "the file is not EDIFACT text (binary content)"
        in (quarantine / "scan.pdf.edi.report.txt").read_text()
    )
    assert await receipts(db) == 2, "the two good messages' events"


async def test_a_file_whose_move_was_cut_short_by_a_crash_is_taken_again_harmlessly(
    db: Database, folder: DropFolder, drop: Path
) -> None:
    path = put(drop, "iftsta_status.edi")
    async with db.session() as session:  # taken in and committed; the process dies before the move
        await ingest_edi_file(
            session, path, codes=folder.codes, tz=TZ, default_locale="en", eta_change=dt.timedelta(hours=6)
        )
    before = await receipts(db)
    assert await folder.scan() == []
    (report,) = await folder.scan()  # the restarted watcher finds it still there
    assert report.duplicate
    assert (drop / "done" / "iftsta_status.edi").exists()
    assert await receipts(db) == before


async def test_a_database_it_cannot_reach_leaves_the_file_in_place(tmp_path: Path, drop: Path) -> None:
    unreachable = f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/crm.db"
    settings = Settings(_env_file=None, database_url=unreachable, edi_drop_dir=drop, default_locale="en")
    db = Database(unreachable)
    try:
        folder = DropFolder(db, settings)
        path = put(drop, "codeco_gate.edi")
        assert await folder.scan() == []
        with pytest.raises(Exception, match="unable to open database file"):
            await folder.scan()
    finally:
        await db.dispose()
    assert path.exists()
    assert not (drop / "done").exists()
    assert not (drop / "quarantine").exists()
