"""What an import tells its caller: the counts, and every problem with the row and column it sits in."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class ImportKind(enum.StrEnum):
    CUSTOMERS = "customers"
    CONTACTS = "contacts"
    SHIPMENTS = "shipments"
    CARGO_EVENTS = "cargo-events"
    INVOICES = "invoices"
    PAYMENTS = "payments"


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: `row` is the spreadsheet row number (the header is row 1), `message` a gettext msgid."""

    row: int
    column: str | None
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, gettext: Callable[[str], str] = str) -> str:
        """The message translated by the caller's gettext, with its parameters filled in."""
        return gettext(self.message).format(**self.params)


@dataclass(slots=True)
class ImportReport:
    kind: ImportKind
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # problems worth a look that do not stop the import (e.g. an IMO number failing its check digit)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors
