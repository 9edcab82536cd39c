"""`portcrm edi ingest FILE...`: EDIFACT terminal reports taken in from the command line.

Each file is read, its good messages' events taken in (see portcrm/feeds/edifact/ingest.py), and a file
with any problem moved to quarantine with its report: into the drop folder's `quarantine/` when
`PORTCRM_EDI_DROP_DIR` is set, else into a `quarantine/` folder beside the file. Good files stay where they
are. The exit code is 1 when any file was quarantined or could not be opened; each problem is one line on
stderr, naming the file, the message and the segment.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from portcrm.audit import Actor
from portcrm.settings import Settings
from portcrm.storage.db import Database

if TYPE_CHECKING:
    from portcrm.feeds.edifact.codes import PartnerCodes

Gettext = Callable[[str], str]


async def edi_ingest(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    from portcrm.feeds.edifact.codes import load_codes

    codes = load_codes(settings.edi_partners_file)  # a bad partners file: one line, exit 2 (cli.main)
    db = Database(settings.database_url)
    failed = False
    try:
        for path in args.files:
            failed |= not await _one(db, path, settings, codes, _)
    finally:
        await db.dispose()
    return 1 if failed else 0


async def _one(db: Database, path: Path, settings: Settings, codes: PartnerCodes, _: Gettext) -> bool:
    """Take one file in; False when it was quarantined or could not be opened."""
    from portcrm.feeds.edifact.ingest import ingest_edi_file
    from portcrm.feeds.edifact.quarantine import QUARANTINE, quarantine
    from portcrm.feeds.edifact.report import note_lines, outcome_line, problem_lines, report_text

    try:
        async with db.session(Actor(label=f"edi:{path.name}", source="cli")) as session:
            report = await ingest_edi_file(
                session,
                path,
                codes=codes,
                tz=settings.tz,
                default_locale=settings.default_locale,
                eta_change=dt.timedelta(hours=settings.eta_change_hours),
            )
    except OSError as error:
        reason = error.strerror or str(error)
        print(_("{path}: cannot be opened: {reason}").format(path=path, reason=reason), file=sys.stderr)
        return False
    if report.unreadable is None:
        print(outcome_line(report, _))
    for line in note_lines(report, _):
        print(line)
    if not report.quarantined:
        return True
    for line in problem_lines(report, _):
        print(line, file=sys.stderr)
    folder = settings.edi_drop_dir / QUARANTINE if settings.edi_drop_dir else path.parent / QUARANTINE
    moved, written = quarantine(path, folder, report_text(report, _))
    print(
        _("{path}: moved to {moved}, report in {report}").format(path=path, moved=moved, report=written),
        file=sys.stderr,
    )
    return False
