"""The customer archive: each department edits only its own fields, values are checked, changes reported."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import uscc

from portcrm.audit import Actor, set_actor
from portcrm.enums import CreditRating, CustomerType, Grade, Role
from portcrm.errors import Conflict, Forbidden, InvalidInput
from portcrm.i18n import gettext_for
from portcrm.models import AuditEntry, ChatUser, Contact, Customer, Notification, Staff
from portcrm.services.archive.edits import add_contact, update_contact_field, update_field
from portcrm.services.archive.fields import FIELDS, Editor, editable_fields
from tests.factories import make_contact, make_customer, make_staff


def _uscc() -> str:
    body = "91330200MA2AHJ6K5"
    return body + uscc.calc_check_digit(body)


def _editor(staff: Staff) -> Editor:
    return Editor(staff.id, staff.role_set)


async def _as(session: AsyncSession, staff: Staff) -> Editor:
    set_actor(session, Actor(label=f"staff:{staff.id}", source="chat", staff_id=staff.id))
    return _editor(staff)


async def _audit(session: AsyncSession, customer_id: int) -> list[AuditEntry]:
    rows = list(
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.customer_id == customer_id, AuditEntry.action == "update")
            .order_by(AuditEntry.id)
        )
    )
    await session.commit()
    return rows


async def _port(session: AsyncSession) -> tuple[Staff, Staff, Staff, Customer]:
    market = await make_staff(session, roles=(Role.MARKET,), name="王市场")
    operations = await make_staff(session, roles=(Role.OPERATIONS,), name="张运营")
    finance = await make_staff(session, roles=(Role.FINANCE,), name="李财务")
    customer = await make_customer(session, account_manager_id=market.id, annual_volume_teu=100)
    await session.commit()
    return market, operations, finance, customer


@pytest.mark.parametrize(
    ("role", "field", "raw", "stored"),
    [
        (Role.MARKET, "founded_on", "2001-05-17", dt.date(2001, 5, 17)),
        (Role.MARKET, "type", gettext_for("zh_CN")("Cargo owner"), CustomerType.CARGO_OWNER),
        (Role.MARKET, "registered_capital", "5,000,000.50", Decimal("5000000.50")),
        (Role.OPERATIONS, "annual_volume_teu", "12000", 12000),
        (Role.OPERATIONS, "routes", "宁波—洛杉矶", "宁波—洛杉矶"),
        (Role.FINANCE, "credit_rating", "aa", CreditRating.AA),
        (Role.FINANCE, "currency", "usd", "USD"),
    ],
)
async def test_each_department_edits_its_own_field_and_the_audit_names_the_editor(
    session: AsyncSession, role: Role, field: str, raw: str, stored: object
) -> None:
    _, _, _, customer = await _port(session)
    staff = await make_staff(session, roles=(role,))
    await session.commit()
    change = await update_field(
        session, customer.id, field, raw, await _as(session, staff), default_locale="zh_CN"
    )
    assert change.new == stored
    refreshed = await session.get(Customer, customer.id, populate_existing=True)
    assert getattr(refreshed, FIELDS[field].column) == stored
    entries = [e for e in await _audit(session, customer.id) if e.field == FIELDS[field].column]
    assert len(entries) == 1
    assert entries[0].staff_id == staff.id
    assert entries[0].actor == f"staff:{staff.id}"
    assert entries[0].new_value == (stored.isoformat() if isinstance(stored, dt.date) else str(stored))


@pytest.mark.parametrize(
    ("role", "field"),
    [
        (Role.OPERATIONS, "name"),
        (Role.OPERATIONS, "credit_rating"),
        (Role.FINANCE, "annual_volume_teu"),
        (Role.FINANCE, "uscc"),
        (Role.MARKET, "bank_account"),
        (Role.MARKET, "routes"),
        (Role.ADMIN, "name"),
        (Role.MANAGER, "grade"),
    ],
)
async def test_a_department_is_refused_another_departments_field(
    session: AsyncSession, role: Role, field: str
) -> None:
    _, _, _, customer = await _port(session)
    staff = await make_staff(session, roles=(role,))
    await session.commit()
    customer_id, editor = customer.id, await _as(session, staff)
    with pytest.raises(Forbidden):
        await update_field(session, customer_id, field, "A", editor, default_locale="zh_CN")
    refreshed = await session.get(Customer, customer_id, populate_existing=True)
    assert refreshed is not None
    assert refreshed.grade == Grade.B
    assert await _audit(session, customer_id) == []


async def test_managers_may_edit_everything_but_the_grade() -> None:
    manager = Editor(1, frozenset({Role.MANAGER}))
    assert [f.name for f in editable_fields(manager)] == list(FIELDS)
    assert "grade" not in FIELDS
    operations = Editor(2, frozenset({Role.OPERATIONS}))
    assert [f.name for f in editable_fields(operations)] == [
        "annual_volume_teu",
        "cargo_types",
        "routes",
        "freight_payment_terms",
    ]


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("uscc", "91330200MA2AAAAA0X", "Invalid unified social credit code: {value}"),
        ("founded_on", "2001-02-30", "Invalid date: {value}. Please write it as YYYY-MM-DD."),
        ("founded_on", "17/05/2001", "Invalid date: {value}. Please write it as YYYY-MM-DD."),
        ("type", "pirate", "Unknown choice: {value}. Please press one of the buttons."),
        ("total_assets", "lots", "Invalid amount: {value}. Please write a number such as 1250000.00."),
        ("name", "-", "This field cannot be empty."),
    ],
)
async def test_invalid_values_are_refused_with_a_message_and_change_nothing(
    session: AsyncSession, field: str, raw: str, message: str
) -> None:
    market, _, _, customer = await _port(session)
    customer_id, editor = customer.id, await _as(session, market)
    with pytest.raises(InvalidInput) as refused:
        await update_field(session, customer_id, field, raw, editor, default_locale="zh_CN")
    assert refused.value.message == message
    assert gettext_for("zh_CN")(message) != message, "the message is translated"
    assert await _audit(session, customer_id) == []


async def test_a_valid_uscc_is_stored_and_a_duplicate_is_refused(session: AsyncSession) -> None:
    market, _, _, customer = await _port(session)
    other = await make_customer(session)
    await session.commit()
    code, editor, other_id = _uscc(), await _as(session, market), other.id
    await update_field(session, customer.id, "uscc", code.lower(), editor, default_locale="zh_CN")
    with pytest.raises(Conflict):
        await update_field(session, other_id, "uscc", code, editor, default_locale="zh_CN")
    assert (await session.get(Customer, other_id, populate_existing=True)).uscc is None  # type: ignore[union-attr]


async def test_the_account_manager_is_informed_of_an_operations_change_in_their_language(
    session: AsyncSession,
) -> None:
    market, operations, _, customer = await _port(session)
    session.add(ChatUser(telegram_user_id=market.telegram_user_id, locale="en"))
    await session.commit()
    change = await update_field(
        session,
        customer.id,
        "annual_volume_teu",
        "2500",
        await _as(session, operations),
        default_locale="zh_CN",
    )
    assert change.informed == "王市场"
    notes = list(await session.scalars(select(Notification)))
    assert len(notes) == 1
    assert notes[0].chat_id == market.telegram_user_id
    assert notes[0].idempotency_key.startswith("archive:")
    assert "Annual volume (TEU): 100 → 2500" in notes[0].text
    assert "张运营" in notes[0].text


async def test_the_market_departments_own_changes_inform_nobody(session: AsyncSession) -> None:
    market, _, _, customer = await _port(session)
    await update_field(
        session, customer.id, "address", "宁波北仑", await _as(session, market), default_locale="zh_CN"
    )
    assert list(await session.scalars(select(Notification))) == []


async def test_market_adds_and_edits_contacts_others_may_not(session: AsyncSession) -> None:
    market, operations, _, customer = await _port(session)
    other_id = (await make_contact(session, customer, name="李娜")).id
    await session.commit()
    customer_id, editor, outsider = customer.id, await _as(session, market), _editor(operations)
    with pytest.raises(InvalidInput):
        await add_contact(session, customer_id, editor, name="周强", reach="")
    contact = await add_contact(session, customer_id, editor, name="周强", reach="13800138000")
    contact_id = contact.id
    assert contact.phone == "+8613800138000"
    change = await update_contact_field(session, contact_id, "is_billing", "yes", editor)
    assert change.new is True
    with pytest.raises(Forbidden):
        await update_contact_field(session, contact_id, "email", "a@b.cn", outsider)
    with pytest.raises(Conflict):
        await update_contact_field(session, other_id, "name", "周强", editor)
    names = list(await session.scalars(select(Contact.name).where(Contact.customer_id == customer_id)))
    assert sorted(names) == ["周强", "李娜"]
    assert (await session.get(Contact, contact_id, populate_existing=True)).email is None  # type: ignore[union-attr]
