"""Migrations 0007 and 0009 fill the search keys and grams of existing customers in batches, and go back."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from portcrm.search_keys import customer_grams, customer_keys
from portcrm.services.archive.search import PINYIN, SUBSTRING, find_customers
from portcrm.storage import migrate
from portcrm.storage.db import Database
from tests.conftest import requires_pg, sqlite_url

pytestmark = pytest.mark.slow  # scheduled first (tests/conftest.py)

KEYS = ("search_code", "search_name", "search_name_en", "search_pinyin", "search_initials")
NAMES = ("宁波远洋运输有限公司", "ABC物流(宁波)有限公司", "長榮海運", "Maersk China")
COUNT = 2_345  # more than two of the migration's batches of 1,000


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=requires_pg)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "empty.db")
    return str(request.getfixturevalue("pg_url"))


def _customer(n: int) -> dict[str, object]:
    at = dt.datetime(2026, 1, 1)
    return {
        "code": f"C{n:05d}",
        "name": f"{NAMES[n % len(NAMES)]}{n}",
        "name_en": None if n % 3 else f"Port Company {n}",
        "type": "forwarder",
        "status": "active",
        "grade": "B",
        "reasons": "[]",
        "currency": "CNY",
        "at": at,
    }


async def _columns(database: Database) -> set[str]:
    async with database.engine.connect() as connection:
        columns = await connection.run_sync(lambda c: inspect(c).get_columns("customers"))
    return {column["name"] for column in columns}


async def test_existing_customers_get_their_keys_and_the_downgrade_keeps_them(empty_url: str) -> None:
    await migrate.upgrade_async(empty_url, "0006")
    database = Database(empty_url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO customers (code, name, name_en, type, status, grade, grade_reasons, "
                    "currency, created_at, updated_at) VALUES (:code, :name, :name_en, :type, :status, "
                    ":grade, :reasons, :currency, :at, :at)"
                ),
                [_customer(n) for n in range(1, COUNT + 1)],
            )
            await connection.execute(
                text(
                    "INSERT INTO contacts (customer_id, name, is_primary, is_billing, consent_greetings, "
                    "consent_marketing, created_at, updated_at) "
                    "SELECT id, '王经理', true, false, false, false, created_at, created_at FROM customers"
                )
            )

        await migrate.upgrade_async(empty_url, "0007")
        async with database.engine.connect() as connection:
            read = text(f"SELECT code, name, name_en, {', '.join(KEYS)} FROM customers")
            rows = (await connection.execute(read)).all()
        assert len(rows) == COUNT
        for row in rows:
            stored = dict(zip(KEYS, row[3:], strict=True))
            assert stored == customer_keys(row.code, row.name, row.name_en), row

        await migrate.upgrade_async(empty_url, "0009")
        assert await _grams(database) == await _expected_grams(database)
        initials = customer_keys(None, "長榮海運", None)["search_initials"]
        async with database.session() as session:
            found = await find_customers(session, initials, limit=3)
            assert [(m.name[:4], m.rank) for m in found] == [("長榮海運", PINYIN)] * 3
            inside = await find_customers(session, "物流(宁波", limit=3)
            assert [(m.name[:9], m.rank) for m in inside] == [("ABC物流(宁波)", SUBSTRING)] * 3
            assert [m.code for m in await find_customers(session, "company 1233")] == ["C01233"]

        await asyncio.to_thread(migrate.downgrade, empty_url, "0008")
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert "customer_search_grams" not in tables
        await asyncio.to_thread(migrate.downgrade, empty_url, "0006")
        assert not set(KEYS) & await _columns(database)
        async with database.engine.connect() as connection:
            counts = (
                (await connection.execute(text("SELECT count(*) FROM customers"))).scalar_one(),
                (await connection.execute(text("SELECT count(*) FROM contacts"))).scalar_one(),
            )
        assert counts == (COUNT, COUNT), "the downgrade drops columns, not the table and its dependants"
        await migrate.upgrade_async(empty_url)
        assert set(KEYS) <= await _columns(database)
    finally:
        await database.dispose()


async def _grams(database: Database) -> set[tuple[int, str, str]]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(text("SELECT customer_id, kind, gram FROM customer_search_grams"))
        return {(row.customer_id, row.kind, row.gram) for row in rows}


async def _expected_grams(database: Database) -> set[tuple[int, str, str]]:
    read = text("SELECT id, search_name, search_name_en, search_initials FROM customers")
    async with database.engine.connect() as connection:
        rows = (await connection.execute(read)).all()
    return {(row.id, *gram) for row in rows for gram in customer_grams(*row[1:])}
