"""Import orchestration: read, validate every row, and only then write all of it in one transaction.

The transaction (`storage.transaction`) spans the bulk lookups, the checks and the writes, so what was
checked is what gets written; the rows' parsing and the file's reading happen before it begins.

A file with any bad row changes nothing, so a user fixes the file and imports it again; natural keys make
that second run (and any repeat) create only what is missing and update only what changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.errors import N_
from portcrm.importing.cargo_events import CargoEventImporter
from portcrm.importing.cells import Issue, ParseContext, RowInvalid
from portcrm.importing.contacts import ContactImporter
from portcrm.importing.customers import CustomerImporter
from portcrm.importing.importer import Importer, Outcome
from portcrm.importing.invoices import InvoiceImporter
from portcrm.importing.payments import PaymentImporter
from portcrm.importing.readers import Row, Table, read_table
from portcrm.importing.report import ImportKind, ImportReport, RowError
from portcrm.importing.shipments import ShipmentImporter
from portcrm.settings import Locale
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)

IMPORTERS: dict[ImportKind, type[Importer[Any]]] = {
    ImportKind.CUSTOMERS: CustomerImporter,
    ImportKind.CONTACTS: ContactImporter,
    ImportKind.SHIPMENTS: ShipmentImporter,
    ImportKind.CARGO_EVENTS: CargoEventImporter,
    ImportKind.INVOICES: InvoiceImporter,
    ImportKind.PAYMENTS: PaymentImporter,
}
HEADER_ROW = 1
SHOWN_NAME = 40  # characters of an unknown column's name quoted back: a junk header can be one long line


async def import_file(
    session: AsyncSession,
    kind: ImportKind | str,
    path: Path,
    *,
    actor: Actor,
    tz: ZoneInfo,
    default_locale: Locale,
    default_currency: str = "CNY",
) -> ImportReport:
    """Import a .csv or .xlsx file; raises InvalidInput when the file cannot be read as a table at all.

    `default_locale` is the language of what the import sends (cargo pushes) to people who chose none.
    """
    rows = await asyncio.to_thread(read_table, path)
    log.info("importing %s from %s: %d rows", kind, path, len(rows))
    return await import_rows(
        session,
        kind,
        rows,
        actor=actor,
        tz=tz,
        default_locale=default_locale,
        default_currency=default_currency,
    )


async def import_rows(
    session: AsyncSession,
    kind: ImportKind | str,
    rows: Sequence[Row],
    *,
    actor: Actor,
    tz: ZoneInfo,
    default_locale: Locale,
    default_currency: str = "CNY",
) -> ImportReport:
    """Import rows already read (header is row 1); commits when every row is valid, else writes nothing.

    The header is checked against the kind's columns: those of a `Table` (what `read_table` returns, even
    when the file has no data rows), else those the rows use.
    """
    kind = ImportKind(kind)
    context = ParseContext(tz=tz, default_currency=default_currency)
    importer = IMPORTERS[kind](session, context, actor, default_locale=default_locale)
    columns = rows.columns if isinstance(rows, Table) else None
    rows = [(number, raw) for number, raw in rows if any(value.strip() for value in raw.values())]
    report = ImportReport(kind=kind, rows=len(rows))
    report.errors = check_columns(importer, rows, columns)
    if report.errors:
        return report
    parsed = _parse(importer, rows, report)
    try:
        async with transaction(session):
            await importer.load([row for _, row in parsed])
            for number, row in parsed:
                report.errors += _row_errors(number, importer.check(row))
            if report.errors:
                raise _Rejected  # rolled back: frees what load() locked, and the caller sees nothing changed
            await _write(session, importer, parsed, report, actor)
    except _Rejected:
        pass
    report.errors.sort(key=lambda error: error.row)
    log.info(
        "import %s: %d rows, %d created, %d updated, %d unchanged, %d errors",
        kind,
        report.rows,
        report.created,
        report.updated,
        report.unchanged,
        len(report.errors),
    )
    return report


class _Rejected(Exception):
    """A row failed its check: the import's transaction ends without writing anything."""


def check_columns(
    importer: Importer[Any], rows: Sequence[Row], columns: Sequence[str] | None = None
) -> list[RowError]:
    """File-level problems, reported against the header row: nothing else is checked until they are fixed.

    With the header's `columns` a file without data rows is checked too: a junk header is not an empty import.
    """
    present = list(columns) if columns is not None else list(dict.fromkeys(n for _, raw in rows for n in raw))
    unknown = [_shown(name) for name in present if name not in importer.columns]
    errors = [
        RowError(HEADER_ROW, name, N_("Unknown column: {column}"), {"column": name}) for name in unknown
    ]
    if rows or columns is not None:
        errors += [
            RowError(HEADER_ROW, name, N_("Required column missing: {column}"), {"column": name})
            for name in importer.required
            if name not in present
        ]
    return errors


def _shown(name: str) -> str:
    return name if len(name) <= SHOWN_NAME else name[: SHOWN_NAME - 1] + "…"


def _parse(importer: Importer[Any], rows: Sequence[Row], report: ImportReport) -> list[tuple[int, Any]]:
    """Typed rows that parsed and whose keys are new in this file; every problem goes into the report."""
    parsed: list[tuple[int, Any]] = []
    first_seen: dict[tuple[str, str], int] = {}
    for number, raw in rows:
        try:
            row, warnings = importer.parse(raw)
        except RowInvalid as exc:
            report.errors += _row_errors(number, exc.issues)
            continue
        report.warnings += _row_errors(number, warnings)
        duplicate = False
        for column, value in importer.keys(row):
            first = first_seen.setdefault((column, value), number)
            if first != number:
                message = N_("Duplicate {column} {value}: already in row {first}")
                report.errors.append(
                    RowError(number, column, message, {"column": column, "value": value, "first": first})
                )
                duplicate = True
        if not duplicate:
            parsed.append((number, row))
    return parsed


def _row_errors(number: int, issues: Sequence[Issue]) -> list[RowError]:
    return [RowError(number, issue.column, issue.message, dict(issue.params)) for issue in issues]


async def _write(
    session: AsyncSession,
    importer: Importer[Any],
    parsed: list[tuple[int, Any]],
    report: ImportReport,
    actor: Actor,
) -> None:
    set_actor(session, actor)
    counts = dict.fromkeys(Outcome, 0)
    for _, row in parsed:
        counts[importer.apply(row)] += 1
    await session.flush()
    await importer.after_flush()
    report.created, report.updated, report.unchanged = (
        counts[Outcome.CREATED],
        counts[Outcome.UPDATED],
        counts[Outcome.UNCHANGED],
    )
