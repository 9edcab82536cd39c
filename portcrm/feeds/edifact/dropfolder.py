"""The watched drop folder (`PORTCRM_EDI_DROP_DIR`): terminals put files there over SFTP; PortCRM takes them.

    <drop>/            files arrive here; only this level is watched
    <drop>/done/       files taken in whole (or received before)
    <drop>/quarantine/ files with a broken part, each with `<name>.report.txt` beside it

- complete files only: dotfiles and temporary names (*.tmp, *.part, *.partial, *.filepart, *.crdownload,
  *~) are left alone, and a file is taken only once its size and modification time are the same at two
  scans in a row (an upload still being written changes between them);
- a file is moved only after its events are committed: a crash before the move leaves it in place, and
  taking it again changes nothing (its interchange, or each of its events, is recognised);
- a failure that is not the file's fault (the database unreachable) leaves the file for the next scan.

The bot (polling or webhook) and `portcrm worker` each run one when the setting is set; two processes
watching one folder are safe (a file is taken by one, the other finds it gone or received before).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Callable
from pathlib import Path

from portcrm.feeds.edifact.codes import PartnerCodes, load_codes
from portcrm.feeds.edifact.ingest import FileReport, ingest_edi_file
from portcrm.feeds.edifact.quarantine import DONE, QUARANTINE, move_to_done, quarantine
from portcrm.feeds.edifact.report import report_text
from portcrm.i18n import gettext_for
from portcrm.settings import Settings
from portcrm.storage.db import Database

log = logging.getLogger(__name__)
POLL_SECONDS = 2.0
TEMPORARY = (".tmp", ".part", ".partial", ".filepart", ".crdownload", "~")


def complete_name(name: str) -> bool:
    """Whether the name is a finished upload's: not a dotfile, not a temporary name."""
    return not name.startswith(".") and not name.lower().endswith(TEMPORARY)


class DropFolder:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        codes: PartnerCodes | None = None,
        poll: float | None = None,
        on_report: Callable[[FileReport], None] | None = None,
    ) -> None:
        if settings.edi_drop_dir is None:
            raise ValueError("PORTCRM_EDI_DROP_DIR is not set")
        self.folder = settings.edi_drop_dir
        self.db, self.settings = db, settings
        self.codes = codes or load_codes(settings.edi_partners_file)  # a bad file stops start-up, not a scan
        self.poll = poll or POLL_SECONDS
        self.on_report = on_report
        self._ = gettext_for(settings.default_locale, settings.locales_dir)
        self._last: dict[str, tuple[int, int]] = {}  # name -> size and mtime at the last scan

    async def run(self) -> None:
        log.info("watching %s for EDIFACT files", self.folder)
        while True:
            try:
                await self.scan()
            except Exception:  # the folder or the database unreachable: the files wait for the next scan
                log.exception("EDIFACT drop folder %s: the scan failed; trying again", self.folder)
            await asyncio.sleep(self.poll)

    async def scan(self) -> list[FileReport]:
        """Take every file that was complete at the last scan and is unchanged since."""
        reports = []
        for path in await asyncio.to_thread(self._settled):
            report = await self.take(path)
            if report is not None:
                reports.append(report)
        return reports

    def _settled(self) -> list[Path]:
        self.folder.mkdir(parents=True, exist_ok=True)
        now: dict[str, tuple[int, int]] = {}
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False) and complete_name(entry.name):
                    stat = entry.stat(follow_symlinks=False)
                    now[entry.name] = (stat.st_size, stat.st_mtime_ns)
        settled = sorted(name for name, seen in now.items() if self._last.get(name) == seen)
        self._last = now
        return [self.folder / name for name in settled]

    async def take(self, path: Path) -> FileReport | None:
        settings = self.settings
        try:
            async with self.db.session() as session:
                report = await ingest_edi_file(
                    session,
                    path,
                    codes=self.codes,
                    tz=settings.tz,
                    default_locale=settings.default_locale,
                    eta_change=dt.timedelta(hours=settings.eta_change_hours),
                )
        except FileNotFoundError:
            return None  # taken by another process watching the folder
        except OSError as error:  # unreadable for now (permissions): left for the next scan
            log.warning("EDIFACT drop folder: cannot read %s: %s", path.name, error)
            return None
        self._last.pop(path.name, None)
        try:
            if report.quarantined:
                where, _report = await asyncio.to_thread(
                    quarantine, path, self.folder / QUARANTINE, report_text(report, self._)
                )
                log.warning(
                    "EDIFACT %s quarantined as %s: %d problems",
                    path.name,
                    where.name,
                    len(report.problems) or 1,
                )
            else:
                await asyncio.to_thread(move_to_done, path, self.folder / DONE)
        except FileNotFoundError:
            log.info("EDIFACT %s was moved by another process", path.name)
        if self.on_report is not None:
            self.on_report(report)
        return report
