"""Turning an uploaded file into rows of text: CSV in UTF-8 or GB18030, or the first sheet of an xlsx.

Every cell comes out as text so that one set of row parsers serves both formats; rows are numbered as a
spreadsheet shows them (the header is row 1), which is what users look for when fixing a file.

A file that cannot be read as a table raises `InvalidInput` with one sentence saying why, whatever is wrong
with it: missing, unreadable, damaged, disguised, too large, or built to exhaust the machine (a zip bomb, a
sheet claiming a million rows). The limits below are far above any real import and bound the time and memory
a hostile file can take.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import stat
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from portcrm.errors import N_, InvalidInput

log = logging.getLogger(__name__)

Row = tuple[int, dict[str, str]]
# Chinese Excel saves "CSV" in the system code page; GB18030 is a superset of GBK and GB2312
_ENCODINGS = ("utf-8-sig", "gb18030")
MB = 1024 * 1024
MAX_FILE_BYTES = 64 * MB
MAX_UNPACKED_BYTES = 256 * MB  # an xlsx's parts once unzipped: what its XML parsers and shared strings take
MAX_ROWS = 100_000  # data rows, blank ones included (they keep their numbers)
MAX_COLUMNS = 100  # the widest kind has 22
# C0 controls, DEL and C1 controls: never part of a column's name
_CONTROL = frozenset(map(chr, [*range(0x20), *range(0x7F, 0xA0)]))


class Table(list[Row]):
    """The data rows of a file, numbered as a spreadsheet shows them, and the column names of its header.

    A list of rows like any other, so `import_rows` takes either; the names tell which columns a file has even
    when it has no data rows at all.
    """

    def __init__(self, rows: Iterable[Row] = (), columns: Iterable[str] = ()) -> None:
        super().__init__(rows)
        self.columns = tuple(columns)


def read_table(path: Path) -> Table:
    size = _regular_file_size(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidInput(N_("Unsupported file type {suffix}: use .csv or .xlsx"), suffix=path.suffix)
    if size > MAX_FILE_BYTES:
        raise _too_large()
    if suffix == ".csv":
        return rows_from_cells(_csv_cells(decode(_read_bytes(path))))
    if size == 0:
        raise _empty()
    return _xlsx_table(path)


def _regular_file_size(path: Path) -> int:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InvalidInput(N_("The file does not exist")) from None
    except OSError as error:
        raise _unreadable(path, error) from None
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInput(N_("This is a folder, not a file"))
    if not stat.S_ISREG(info.st_mode):  # a pipe or a device would block or never end
        raise InvalidInput(N_("The file could not be read"))
    return info.st_size


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; its size is read from the file itself, as some file systems report none."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise _unreadable(path, error) from None
    if not data:
        raise _empty()
    if len(data) > MAX_FILE_BYTES:
        raise _too_large()
    return data


def _unreadable(path: Path, error: OSError) -> InvalidInput:
    log.info("cannot read %s: %s", path, error)
    if isinstance(error, PermissionError):
        return InvalidInput(N_("No permission to read the file"))
    if isinstance(error, FileNotFoundError):  # removed between the checks
        return InvalidInput(N_("The file does not exist"))
    return InvalidInput(N_("The file could not be read"))


def _too_large() -> InvalidInput:
    return InvalidInput(N_("The file is larger than {max} MB: split it"), max=MAX_FILE_BYTES // MB)


def _empty() -> InvalidInput:
    return InvalidInput(N_("The file is empty: the first row must name the columns"))


def _too_many_rows() -> InvalidInput:
    return InvalidInput(N_("The file has more than {max} rows: split it"), max=MAX_ROWS)


def _too_wide(row: int) -> InvalidInput:
    return InvalidInput(
        N_("Row {row} goes beyond column {max}: a file may have at most {max} columns"),
        row=row,
        max=MAX_COLUMNS,
    )


def decode(data: bytes) -> str:
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(N_("The file is neither UTF-8 nor GB18030 text"))


def _csv_cells(text: str) -> Iterator[list[str]]:
    """The records of a CSV text; malformed quoting or a runaway cell is an error on its row."""
    # strict: a quoted cell left open would otherwise swallow every row after it into one cell
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    row = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if str(error).startswith("field larger than field limit"):
                raise InvalidInput(
                    N_("Row {row} has a cell longer than {max} characters (or a quote that is never closed)"),
                    row=row,
                    max=csv.field_size_limit(),
                ) from None
            raise InvalidInput(
                N_(
                    "Row {row} is not valid CSV: a quoted cell is not closed, "
                    "or text follows its closing quote"
                ),
                row=row,
            ) from None
        yield cells
        row += 1


def _xlsx_table(path: Path) -> Table:
    """The first worksheet; anything the zip and XML layers raise on a damaged file is that file's fault."""
    try:
        file = path.open("rb")
    except OSError as error:
        raise _unreadable(path, error) from None
    with file:  # one open file for the size check and the reading: what was checked is what is read
        _check_unpacked_size(path, file)
        file.seek(0)
        return _first_sheet(path, file)


def _check_unpacked_size(path: Path, file: BinaryIO) -> None:
    """Refuse a zip bomb before unpacking it: zipfile never inflates a part beyond the size it declares."""
    try:
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except OSError as error:
        raise _unreadable(path, error) from None
    except Exception as error:  # BadZipFile mostly; a hostile zip directory can raise others
        raise _damaged(path, error) from None
    if unpacked > MAX_UNPACKED_BYTES:
        log.info("refused %s: unpacks to %d bytes", path, unpacked)
        raise InvalidInput(
            N_("The workbook unpacks to more than {max} MB: split it"), max=MAX_UNPACKED_BYTES // MB
        )


def _first_sheet(path: Path, file: BinaryIO) -> Table:
    from openpyxl import load_workbook  # only for .xlsx files: keeps it out of the bot's start-up memory

    # openpyxl warns about what it cannot read in files from other tools (styles, out-of-range dates, which
    # it reads as #VALUE!): that is not the user's data, and a warning is not the one line the CLI prints
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            book = load_workbook(file, read_only=True, data_only=True)
        except Exception as error:  # a parser's every failure on a hostile file gets the one answer
            raise _damaged(path, error) from None
        try:
            if not book.worksheets:
                raise InvalidInput(N_("The workbook has no worksheet"))
            sheet = book.worksheets[0]
            # the sheet's own <dimension> may be wrong (some tools write A1): it would hide rows and columns,
            # or (claiming A1:XFD1048576) pad every row to 16384 cells; read the cells that are there instead
            sheet.reset_dimensions()
            return rows_from_cells(_sheet_rows(sheet.iter_rows(values_only=True)))
        except InvalidInput:
            raise
        except Exception as error:  # as above: damaged parts surface while the rows are read
            raise _damaged(path, error) from None
        finally:
            book.close()


def _damaged(path: Path, error: BaseException) -> InvalidInput:
    log.info("cannot read %s as a workbook: %r", path, error)
    return InvalidInput(
        N_(
            "The file is not a readable Excel workbook (.xlsx): it may be damaged, password-protected or "
            "another kind of file"
        )
    )


def _sheet_rows(rows: Iterable[Sequence[Any]]) -> Iterator[list[str]]:
    """Sheet rows as text; a row past the limits stops the reading.

    openpyxl pads a row with None up to its last cell, so a sheet of one-cell rows in column XFD would cost
    16384 cells a row: a row reaching beyond MAX_COLUMNS is refused (even when those cells are empty).
    """
    for number, values in enumerate(rows, start=1):
        if number > MAX_ROWS + 1:
            raise _too_many_rows()
        if len(values) > MAX_COLUMNS:
            raise _too_wide(number)
        yield [_cell_text(value) for value in values]


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


def rows_from_cells(table: Iterable[Sequence[str]]) -> Table:
    """Header plus data rows into numbered dicts; blank rows are skipped but keep their numbers."""
    lines = iter(table)
    header = next(lines, None)
    if header is None:
        raise _empty()
    names = _column_names(header)
    rows: list[Row] = []
    for number, cells in enumerate(lines, start=2):
        if number > MAX_ROWS + 1:
            raise _too_many_rows()
        if not any(cell.strip() for cell in cells):
            continue
        if any(cell.strip() for cell in cells[len(names) :]):
            raise InvalidInput(N_("Row {row} has more cells than the header has columns"), row=number)
        for index, (name, cell) in enumerate(zip(names, cells, strict=False), start=1):
            if not name and cell.strip():
                raise InvalidInput(N_("Column {index} has data but no header"), index=index)
        padded = [*cells, *[""] * (len(names) - len(cells))]
        rows.append((number, {name: cell for name, cell in zip(names, padded, strict=False) if name}))
    columns = [name for name in names if name]
    if not columns and not rows:  # blank lines only
        raise _empty()
    log.debug("read %d data rows with columns %s", len(rows), columns)
    return Table(rows, columns=columns)


def _column_names(header: Sequence[str]) -> list[str]:
    """The header's names, lower case; a control character in one (a binary file, or a trap) is refused."""
    if any(cell.strip() for cell in header[MAX_COLUMNS:]):
        raise _too_wide(1)
    names = [name.strip().lstrip("\ufeff").lower() for name in header[:MAX_COLUMNS]]
    for index, name in enumerate(names, start=1):
        control = next((char for char in name if char in _CONTROL), None)
        if control is not None:
            raise InvalidInput(
                N_("Row 1, column {index}: a column name contains a control character (U+{code})"),
                index=index,
                code=f"{ord(control):04X}",
            )
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise InvalidInput(N_("Column {column} appears twice in the header"), column=name)
        seen.add(name)
    return names
