"""Turning an uploaded file into rows of text: CSV in UTF-8 or GB18030, or the first sheet of an xlsx.

Every cell comes out as text so that one set of row parsers serves both formats; rows are numbered as a
spreadsheet shows them (the header is row 1), which is what users look for when fixing a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from portcrm.errors import N_, InvalidInput

log = logging.getLogger(__name__)

Row = tuple[int, dict[str, str]]
# Chinese Excel saves "CSV" in the system code page; GB18030 is a superset of GBK and GB2312
_ENCODINGS = ("utf-8-sig", "gb18030")


def read_table(path: Path) -> list[Row]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return rows_from_cells(_csv_cells(path.read_bytes()))
    if suffix == ".xlsx":
        return rows_from_cells(_xlsx_cells(path))
    raise InvalidInput(N_("Unsupported file type {suffix}: use .csv or .xlsx"), suffix=path.suffix)


def decode(data: bytes) -> str:
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(N_("The file is neither UTF-8 nor GB18030 text"))


def _csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(decode(data), newline="")))


def _xlsx_cells(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook  # only for .xlsx files: keeps it out of the bot's start-up memory

    # openpyxl warns about styling it cannot read in files from other tools: that is not the user's data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    """Cell values as a person would have typed them (dates as YYYY-MM-DD, whole numbers without .0)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def rows_from_cells(table: Iterable[Sequence[str]]) -> list[Row]:
    """Header plus data rows into numbered dicts; blank rows are skipped but keep their numbers."""
    lines = iter(table)
    header = next(lines, None)
    if header is None:
        raise InvalidInput(N_("The file is empty: the first row must name the columns"))
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise InvalidInput(N_("Column {column} appears twice in the header"), column=name)
        seen.add(name)
    rows: list[Row] = []
    for number, cells in enumerate(lines, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if any(cell.strip() for cell in cells[len(names) :]):
            raise InvalidInput(N_("Row {row} has more cells than the header has columns"), row=number)
        for index, (name, cell) in enumerate(zip(names, cells, strict=False), start=1):
            if not name and cell.strip():
                raise InvalidInput(N_("Column {index} has data but no header"), index=index)
        padded = [*cells, *[""] * (len(names) - len(cells))]
        rows.append((number, {name: cell for name, cell in zip(names, padded, strict=False) if name}))
    log.debug("read %d data rows with columns %s", len(rows), names)
    return rows
