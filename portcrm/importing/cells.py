"""Reading one raw row into typed values, collecting every problem instead of stopping at the first.

A row parser asks for each column through `Cells`; a bad value becomes an `Issue` for that column, so a
user fixing a file sees all of a row's problems at once. `finish()` raises when any were found.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from portcrm.errors import N_, DomainError

T = TypeVar("T")


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
    def __init__(self, raw: Mapping[str, str]) -> None:
        self._raw = raw
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []

    def text(self, column: str) -> str:
        return (self._raw.get(column) or "").strip()

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
        if not self.text(column):
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
