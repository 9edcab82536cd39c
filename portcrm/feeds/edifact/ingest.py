"""One EDIFACT file into the database: read, mapped, deduplicated, taken in one transaction.

The file is read and mapped before the transaction begins (parsing is slow, a transaction holds SQLite's
write lock). Inside it: an interchange already received from this sender under this control reference is
skipped whole and reported as such; otherwise the good messages' events go to `ingest_feed_events`, in the
same transaction, and the interchange is remembered (models/feeds.py `EdiInterchange`) only when every part
of it was good. A partly broken interchange is not remembered, so that the terminal may send it again,
corrected, under the same control reference (as terminals do): the events it gave the first time are known
by their ids and change nothing the second time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import N_
from portcrm.feeds.edifact.codes import PartnerCodes
from portcrm.feeds.edifact.events import message_events
from portcrm.feeds.edifact.messages import Context
from portcrm.feeds.edifact.problems import Problem, Unreadable
from portcrm.feeds.edifact.reader import Interchange, read_interchange
from portcrm.models import EdiInterchange
from portcrm.services.tracking.feed_events import FeedEvent, IngestResult, ingest_feed_events
from portcrm.settings import Locale
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)
MAX_BYTES = 50 * 1024 * 1024  # far above any real report; a bigger file is not read into memory


@dataclass(slots=True)
class FileReport:
    """What became of one file; it is quarantined when `unreadable` or any `problems`."""

    path: Path
    sender: str = ""
    control_reference: str = ""
    prepared_at: dt.datetime | None = None
    messages: int = 0
    broken: int = 0
    events: list[FeedEvent] = field(default_factory=list)
    result: IngestResult | None = None  # None when nothing was ingested (unreadable, or a repeat)
    duplicate: bool = False
    unreadable: Problem | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    @property
    def quarantined(self) -> bool:
        return self.unreadable is not None or bool(self.problems)


async def ingest_edi_file(
    session: AsyncSession,
    path: Path,
    *,
    codes: PartnerCodes,
    tz: ZoneInfo,
    default_locale: Locale,
    eta_change: dt.timedelta,
) -> FileReport:
    """Ingest one file; raises OSError when it cannot be opened (the caller says so and moves nothing)."""
    report = FileReport(path)
    try:
        interchange = await asyncio.to_thread(_read, path)
    except Unreadable as refused:
        report.unreadable = refused.problem
        return report
    _map(interchange, codes, tz, report)
    try:
        async with transaction(session):
            report.duplicate = await _received_before(session, interchange)
            if not report.duplicate:
                report.result = await ingest_feed_events(
                    session, report.events, tz=tz, default_locale=default_locale, eta_change=eta_change
                )
                if not report.problems:
                    session.add(
                        EdiInterchange(
                            sender=interchange.sender,
                            control_reference=interchange.control_reference,
                            file_name=path.name[:255],
                            messages=len(interchange.messages),
                        )
                    )
    except IntegrityError:  # the same interchange, taken by another process a moment ago
        report.duplicate, report.result = True, None
    if report.duplicate:  # nothing of it was taken now: nothing of it to report but that
        report.events, report.problems, report.notes = [], [], []
    log.info(
        "EDIFACT %s: interchange %s from %s, %d messages (%d broken), %d events%s",
        path.name,
        interchange.control_reference,
        interchange.sender,
        report.messages,
        report.broken,
        len(report.events),
        ", received before: skipped" if report.duplicate else "",
    )
    return report


def _read(path: Path) -> Interchange:
    with path.open("rb") as file:
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise Unreadable(N_("the file is over {limit} MB: not a terminal report"), limit=MAX_BYTES // 2**20)
    return read_interchange(data)


def _map(interchange: Interchange, codes: PartnerCodes, tz: ZoneInfo, report: FileReport) -> None:
    report.sender, report.control_reference = interchange.sender, interchange.control_reference
    report.prepared_at = interchange.prepared_at.replace(tzinfo=tz)
    ctx = Context(
        interchange.sender,
        interchange.control_reference,
        codes.for_sender(interchange.sender),
        tz,
        report.prepared_at,
    )
    report.messages = len(interchange.messages)
    report.problems.extend(interchange.problems)
    for message in interchange.messages:
        taken = message_events(message, ctx)
        report.events.extend(taken.events)
        report.notes.extend(taken.notes)
        if taken.broken is not None:
            report.broken += 1
            report.problems.append(taken.broken)
    report.problems.sort(key=lambda p: (p.place.line is None, p.place.line or 0))


async def _received_before(session: AsyncSession, interchange: Interchange) -> bool:
    found = await session.scalar(
        select(EdiInterchange.id).where(
            EdiInterchange.sender == interchange.sender,
            EdiInterchange.control_reference == interchange.control_reference,
        )
    )
    return found is not None
