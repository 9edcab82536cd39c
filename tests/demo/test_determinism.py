"""Seeding is repeatable, works on awkward dates, and never lands on top of real data."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.demo import seed_demo
from portcrm.errors import Conflict
from portcrm.models import Contact, Customer, Shipment
from portcrm.storage.db import Database
from tests.conftest import sqlite_url
from tests.factories import make_customer

TZ = ZoneInfo("Asia/Shanghai")


async def _fingerprint(session: AsyncSession) -> tuple[list, list, list]:
    customers = await session.execute(
        select(Customer.code, Customer.name, Customer.grade, Customer.uscc).order_by(Customer.code)
    )
    contacts = await session.execute(select(Contact.name, Contact.phone).order_by(Contact.id))
    shipments = await session.execute(select(Shipment.bl_number, Shipment.status).order_by(Shipment.id))
    return list(customers), list(contacts), list(shipments)


@pytest.mark.slow
async def test_the_same_seed_and_date_give_the_same_port(
    session: AsyncSession, migrated_template: Path, tmp_path: Path
) -> None:
    today = dt.date(2026, 11, 20)
    await seed_demo(session, today=today, tz=TZ, seed=11)
    second_path = tmp_path / "second.db"
    shutil.copyfile(migrated_template, second_path)
    second = Database(sqlite_url(second_path))
    try:
        async with second.session() as other:
            await seed_demo(other, today=today, tz=TZ, seed=11)
            first_port, second_port = await _fingerprint(session), await _fingerprint(other)
    finally:
        await second.dispose()
    assert first_port == second_port
    assert len(first_port[0]) >= 180


@pytest.mark.slow
async def test_seeds_on_a_leap_day(session: AsyncSession) -> None:
    # birthdays "in the next days", month arithmetic and quarter ends all meet 29 February
    summary = await seed_demo(session, today=dt.date(2028, 2, 29), tz=TZ, seed=3)
    assert summary.customers >= 180


async def test_refuses_a_database_that_already_has_customers(session: AsyncSession) -> None:
    await make_customer(session)
    with pytest.raises(Conflict):
        await seed_demo(session, today=dt.date(2026, 11, 20), tz=TZ)
