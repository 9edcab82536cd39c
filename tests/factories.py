"""Test data factories: keyword defaults, override what the test is about."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import iso6346

from portcrm.enums import CustomerType, Grade, Role
from portcrm.models import Contact, Customer, Invoice, Shipment, Staff, StaffRole

_seq = itertools.count(1)


def container_number(owner: str = "MSKU", serial: int | None = None) -> str:
    body = f"{owner}{(serial if serial is not None else next(_seq)) % 1_000_000:06d}"
    return body + iso6346.calc_check_digit(body)


async def make_staff(session: AsyncSession, *, roles: tuple[Role, ...] = (Role.MARKET,), **kw: Any) -> Staff:
    n = next(_seq)
    staff = Staff(
        telegram_user_id=kw.pop("telegram_user_id", 500_000 + n),
        name=kw.pop("name", f"Staff {n}"),
        roles=[StaffRole(role=r) for r in roles],
        **kw,
    )
    session.add(staff)
    await session.flush()
    return staff


async def make_customer(session: AsyncSession, **kw: Any) -> Customer:
    n = next(_seq)
    customer = Customer(
        code=kw.pop("code", f"C{n:05d}"),
        name=kw.pop("name", f"宁波测试货代{n}有限公司"),
        type=kw.pop("type", CustomerType.FORWARDER),
        grade=kw.pop("grade", Grade.B),
        **kw,
    )
    session.add(customer)
    await session.flush()
    return customer


async def make_contact(session: AsyncSession, customer: Customer, **kw: Any) -> Contact:
    n = next(_seq)
    contact = Contact(
        customer_id=customer.id,
        name=kw.pop("name", f"联系人{n}"),
        phone=kw.pop("phone", f"+86138{n:08d}"),
        is_primary=kw.pop("is_primary", True),
        **kw,
    )
    session.add(contact)
    await session.flush()
    return contact


async def make_shipment(session: AsyncSession, customer: Customer, **kw: Any) -> Shipment:
    n = next(_seq)
    shipment = Shipment(
        customer_id=customer.id,
        bl_number=kw.pop("bl_number", f"NGB{n:08d}"),
        direction=kw.pop("direction", "export"),
        cargo_description=kw.pop("cargo_description", "Electronics"),
        **kw,
    )
    session.add(shipment)
    await session.flush()
    return shipment


async def make_invoice(session: AsyncSession, customer: Customer, **kw: Any) -> Invoice:
    n = next(_seq)
    issued = kw.pop("issued_on", dt.date(2026, 10, 1))
    invoice = Invoice(
        number=kw.pop("number", f"INV{n:07d}"),
        customer_id=customer.id,
        issued_on=issued,
        due_on=kw.pop("due_on", issued + dt.timedelta(days=30)),
        amount=kw.pop("amount", Decimal("10000.00")),
        currency=kw.pop("currency", "CNY"),
        **kw,
    )
    session.add(invoice)
    await session.flush()
    return invoice
