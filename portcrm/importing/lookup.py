"""Bulk lookups: one IN query per few hundred keys rather than one query per row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.models import Base, Shipment

M = TypeVar("M", bound=Base)
T = TypeVar("T")

# SQLite builds before 3.32 allow 999 bound variables per statement; stay well below
CHUNK = 500


def chunked(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def load_by(
    session: AsyncSession, model: type[M], column: str, values: Iterable[Any], *, for_update: bool = False
) -> dict[Any, M]:
    """Rows of `model` whose `column` is one of `values`, keyed by that column.

    `for_update` locks the rows on PostgreSQL (SQLite's write transaction already excludes other writers).
    """
    wanted = sorted({v for v in values if v is not None})
    attribute = getattr(model, column)
    found: dict[Any, M] = {}
    for part in chunked(wanted):
        query = select(model).where(attribute.in_(part))
        for obj in await session.scalars(query.with_for_update() if for_update else query):
            found[getattr(obj, column)] = obj
    return found


async def load_all_by(
    session: AsyncSession, model: type[M], column: str, values: Iterable[Any], *order_by: Any
) -> list[M]:
    """Every row of `model` whose `column` is one of `values` (e.g. all contacts of some customers)."""
    wanted = sorted({v for v in values if v is not None})
    attribute = getattr(model, column)
    found: list[M] = []
    for part in chunked(wanted):
        found.extend(await session.scalars(select(model).where(attribute.in_(part)).order_by(*order_by)))
    return found


class ShipmentRefs:
    """Shipments found by B/L number or booking reference: files name a shipment by either."""

    def __init__(self, by_bl: dict[str, Shipment], by_booking: dict[str, Shipment]) -> None:
        self.by_bl = by_bl
        self.by_booking = by_booking

    def find(self, reference: str | None) -> Shipment | None:
        if reference is None:
            return None
        return self.by_bl.get(reference) or self.by_booking.get(reference)

    @property
    def by_reference(self) -> dict[str, Shipment]:
        """Every reference found, with the shipment `find` gives for it (a B/L number before a booking)."""
        return {**self.by_booking, **self.by_bl}

    @property
    def shipments(self) -> list[Shipment]:
        return list({s.id: s for s in [*self.by_bl.values(), *self.by_booking.values()]}.values())


async def load_shipments(session: AsyncSession, references: Iterable[str | None]) -> ShipmentRefs:
    wanted = {r for r in references if r}
    return ShipmentRefs(
        await load_by(session, Shipment, "bl_number", wanted),
        await load_by(session, Shipment, "booking_ref", wanted),
    )
