"""The shape every kind of import shares, so the runner can validate and write any of them the same way.

An importer parses rows without the database, then loads what the rows refer to in bulk (`load`), checks
each row against that (`check`, called in file order so running totals work), and only when the whole file
is clean writes each row (`apply`). Nothing is written before every row has passed. The rules of what a row
may change are a service's where one holds them (cargo events, payments): the importer parses, fetches in
bulk and hands the rows to it.
"""

from __future__ import annotations

import dataclasses
import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor
from portcrm.importing.cells import Issue, ParseContext
from portcrm.settings import Locale

R = TypeVar("R")


class Outcome(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class Importer(ABC, Generic[R]):
    required: ClassVar[tuple[str, ...]]
    optional: ClassVar[tuple[str, ...]]

    def __init__(
        self, session: AsyncSession, ctx: ParseContext, actor: Actor, *, default_locale: Locale
    ) -> None:
        self.session = session
        self.ctx = ctx
        self.actor = actor
        self.default_locale = default_locale  # for what a write sends to people who chose no language

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    @abstractmethod
    def parse(self, raw: Mapping[str, str]) -> tuple[R, tuple[Issue, ...]]:
        """The typed row and its warnings; raises RowInvalid."""

    @abstractmethod
    def keys(self, row: R) -> list[tuple[str, str]]:
        """(column, value) pairs that must not repeat within one file: the natural key and unique fields."""

    @abstractmethod
    async def load(self, rows: Sequence[R]) -> None:
        """Fetch, in bulk, the records the rows refer to or would update."""

    @abstractmethod
    def check(self, row: R) -> list[Issue]:
        """Problems only the database can reveal: unknown references, conflicts, overpayment."""

    @abstractmethod
    def apply(self, row: R) -> Outcome:
        """Create or update the record for a checked row."""

    async def after_flush(self) -> None:
        """Work that needs the written rows, such as deriving a shipment's status from all its events."""


def row_values(row: Any, *exclude: str) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in dataclasses.fields(row) if f.name not in exclude}


def assign(obj: Any, values: Mapping[str, Any]) -> bool:
    """Set the values that differ; report whether any did. None means "empty cell", which never clears."""
    changed = False
    for name, value in values.items():
        if value is not None and getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def max_length(model: Any, column: str) -> int:
    """The column's declared length, so that text fitting SQLite also fits PostgreSQL."""
    return int(model.__table__.c[column].type.length)
