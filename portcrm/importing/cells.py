"""Reading one raw row into typed values, collecting every problem instead of stopping at the first.

A row parser asks for each column through `Cells`; a bad value becomes an `Issue` for that column, so a
user fixing a file sees all of a row's problems at once. `finish()` raises when any were found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from portcrm.errors import N_, DomainError

T = TypeVar("T")
# C0 controls but tab, LF and CR; DEL; C1 controls: refused anywhere in a cell
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LAYOUT = re.compile("[\t\n\r]")  # inside the text of a multi-line column only
_LINE_BREAK = re.compile("\r\n?")


@dataclass(frozen=True, slots=True)
class Issue:
    column: str | None
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class RowInvalid(Exception):
    """A row that cannot be imported, with all of its problems."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(f"{len(issues)} problem(s): " + ", ".join(i.message for i in issues))
        self.issues = issues


@dataclass(frozen=True, slots=True)
class ParseContext:
    """Per-import settings the row parsers need: the port's clock and its usual currency."""

    tz: ZoneInfo
    default_currency: str = "CNY"


class Cells:
    """One row's cells by column. Text is refused, with its column, when it holds a control character.

    C0 controls, DEL and C1 controls never belong in a cell: they come from binary files and copy-paste
    accidents, and in a terminal or a log they can rewrite what is shown. Tabs and line breaks around a cell
    are trimmed like spaces; inside it they are kept only in the `multiline` columns (long free text, and
    lists that may be written one item a line), with every line break stored as LF.
    """

    def __init__(self, raw: Mapping[str, str], *, multiline: Collection[str] = ()) -> None:
        self._raw = raw
        self._multiline = frozenset(multiline)
        self._refused: set[str] = set()
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []

    def given(self, column: str) -> bool:
        """Whether the cell holds anything but spaces (even text that is refused)."""
        raw = self._raw.get(column) or ""
        return bool(raw.strip() or _CONTROL.search(raw))

    def text(self, column: str) -> str:
        """The cell's text without surrounding spaces; empty when refused (an error is then recorded once)."""
        if column in self._refused:
            return ""
        raw = self._raw.get(column) or ""
        control = _CONTROL.search(raw)
        if control is not None:
            code = f"{ord(control.group()):04X}"
            return self._refuse(
                column,
                N_("Column {column} contains a control character (U+{code}), which is not allowed"),
                code=code,
            )
        value = raw.strip()
        if column in self._multiline:
            return _LINE_BREAK.sub("\n", value)
        if _LAYOUT.search(value):
            return self._refuse(
                column, N_("Column {column} must be one line: it contains a line break or tab")
            )
        return value

    def optional(self, column: str, parse: Callable[[str], T]) -> T | None:
        """The parsed value, or None when the cell is empty (or bad: then an error is recorded)."""
        value = self.text(column)
        if not value:
            return None
        try:
            return parse(value)
        except DomainError as exc:
            self.fail(column, exc.message, **exc.params)
            return None

    def required(self, column: str, parse: Callable[[str], T]) -> T:
        if not self.given(column):
            self.fail(column, N_("Column {column} needs a value"), column=column)
            return cast(T, None)
        value = self.optional(column, parse)
        # a None placeholder never escapes: finish() raises whenever a cell failed
        return cast(T, value)

    def fail(self, column: str | None, message: str, /, **params: Any) -> None:
        self.errors.append(Issue(column, message, params))

    def warn(self, column: str | None, message: str, /, **params: Any) -> None:
        self.warnings.append(Issue(column, message, params))

    def finish(self) -> tuple[Issue, ...]:
        """Raise when the row has errors; otherwise hand back its warnings."""
        if self.errors:
            raise RowInvalid(self.errors)
        return tuple(self.warnings)

    def _refuse(self, column: str, message: str, /, **params: Any) -> str:
        self._refused.add(column)
        self.fail(column, message, column=column, **params)
        return ""
