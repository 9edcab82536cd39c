"""Shared by the import tests: the port's clock, an importing actor, and rows from inline CSV text."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor
from portcrm.importing import ImportReport
from portcrm.importing.readers import Row, rows_from_cells
from portcrm.models import Base

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEQUENCE = ("customers", "contacts", "shipments", "cargo-events", "invoices", "payments")
PORT_TZ = ZoneInfo("Asia/Shanghai")
IMPORTER = Actor(label="import test", source="import")
DEFAULT_LOCALE = "zh_CN"  # the settings' default: the language of pushes to people who chose none

Run = Callable[..., Awaitable[ImportReport]]


def table(text: str) -> list[Row]:
    """Rows numbered as in a spreadsheet, from CSV text written inline in a test."""
    return rows_from_cells(csv.reader(io.StringIO(text.strip() + "\n")))


async def table_counts(session: AsyncSession) -> dict[str, int]:
    counts = {}
    for model_table in Base.metadata.sorted_tables:
        counts[model_table.name] = await session.scalar(select(func.count()).select_from(model_table)) or 0
    return counts
