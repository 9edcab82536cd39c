"""Large files: references are looked up a few hundred at a time, never one query per row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.storage.db import Database
from tests.importing.support import Run

ROWS = 1200  # more than two lookup chunks


async def test_a_large_file_takes_a_handful_of_lookups(
    db: Database, session: AsyncSession, run_rows: Run
) -> None:
    customers = "code,name,type\n" + "".join(f"C{i:05d},公司{i},货代\n" for i in range(ROWS))
    assert (await run_rows("customers", customers)).created == ROWS
    selects: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        contacts = "customer_code,name\n" + "".join(f"C{i:05d},联系人{i}\n" for i in range(ROWS))
        report = await run_rows("contacts", contacts)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)

    assert report.created == ROWS
    # customers by code in 3 chunks, their contacts in 3 chunks
    assert len(selects) == 6


async def test_an_imo_failing_its_check_digit_is_reported_as_a_warning(
    session: AsyncSession, run_rows: Run
) -> None:
    await run_rows("customers", "code,name,type\nC1,甲,货主\n")

    report = await run_rows(
        "shipments",
        "customer_code,bl_number,direction,cargo_description,vessel_imo\nC1,BL0001,import,x,9795611\n",
    )

    assert report.ok
    assert report.created == 1
    assert [(w.row, w.column, w.render()) for w in report.warnings] == [
        (2, "vessel_imo", "IMO number 9795611 fails its check digit; kept as given")
    ]
