"""Leads: recording a prospect, moving it along, and converting it into a customer in one transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CustomerType, Grade, LeadSource, LeadStatus
from portcrm.errors import Conflict, InvalidInput
from portcrm.models import AuditEntry, Contact, Customer, Lead
from portcrm.services.development import leads
from tests.factories import make_customer, make_staff

TODAY = dt.date(2026, 11, 24)


def _draft(**kw: object) -> leads.LeadDraft:
    values: dict[str, object] = {"company_name": "宁波新港物流有限公司", "source": LeadSource.TRADE_FAIR}
    return leads.LeadDraft(**{**values, **kw})  # type: ignore[arg-type]


async def test_a_lead_is_recorded_with_a_normalised_phone(session: AsyncSession) -> None:
    owner = await make_staff(session)
    lead = await leads.create_lead(
        session, owner.id, _draft(contact_name="王经理", phone="138 0013 8000", expected_volume_teu=5000)
    )
    assert (lead.status, lead.owner_id, lead.phone) == (LeadStatus.NEW, owner.id, "+8613800138000")


async def test_bad_phone_and_volume_are_refused(session: AsyncSession) -> None:
    owner = await make_staff(session)
    await session.commit()
    with pytest.raises(InvalidInput):
        await leads.create_lead(session, owner.id, _draft(phone="12345"))
    for bad in ("many", "-5", "1.5"):
        with pytest.raises(InvalidInput):
            leads.parse_volume(bad)
    assert leads.parse_volume("12,000") == 12000
    assert list(await session.scalars(select(Lead))) == []


async def test_others_leads_are_invisible_unless_a_manager(session: AsyncSession) -> None:
    owner, other = await make_staff(session), await make_staff(session)
    lead = await leads.create_lead(session, owner.id, _draft())
    assert [x.id for x in await leads.open_leads(session, owner.id)] == [lead.id]
    assert await leads.open_leads(session, other.id) == []
    with pytest.raises(leads.LeadNotFound):
        await leads.set_lead_status(session, lead.id, LeadStatus.LOST, other.id, any_owner=False)
    changed = await leads.set_lead_status(session, lead.id, LeadStatus.NEGOTIATING, other.id, any_owner=True)
    assert changed.status == LeadStatus.NEGOTIATING
    with pytest.raises(InvalidInput):
        await leads.set_lead_status(session, lead.id, LeadStatus.WON, owner.id, any_owner=False)


async def test_conversion_creates_customer_and_contact_and_is_audited(session: AsyncSession) -> None:
    owner = await make_staff(session)
    lead = await leads.create_lead(
        session,
        owner.id,
        _draft(customer_type=CustomerType.CARGO_OWNER, contact_name="王经理", phone="13800138000"),
    )
    customer = await leads.convert_lead(session, lead.id, owner.id, " nbx001 ", today=TODAY, any_owner=False)
    assert (customer.code, customer.grade, customer.type) == ("NBX001", Grade.C, CustomerType.CARGO_OWNER)
    assert (customer.account_manager_id, customer.cooperation_since) == (owner.id, TODAY)
    contact = await session.scalar(select(Contact).where(Contact.customer_id == customer.id))
    assert contact is not None
    assert (contact.name, contact.phone, contact.is_primary) == (
        "王经理",
        "+8613800138000",
        True,
    )
    await session.refresh(lead)
    assert (lead.status, lead.converted_customer_id) == (LeadStatus.WON, customer.id)
    entities = set(
        await session.scalars(select(AuditEntry.entity).where(AuditEntry.customer_id == customer.id))
    )
    assert entities == {"customers", "contacts"}
    with pytest.raises(leads.LeadNotFound):  # won: no longer open
        await leads.convert_lead(session, lead.id, owner.id, "NBX002", today=TODAY, any_owner=False)


async def test_conversion_needs_a_free_code_and_a_type(session: AsyncSession) -> None:
    owner_id = (await make_staff(session)).id
    await make_customer(session, code="TAKEN1")
    lead_id = (await leads.create_lead(session, owner_id, _draft())).id
    with pytest.raises(Conflict):
        await leads.convert_lead(
            session,
            lead_id,
            owner_id,
            "taken1",
            today=TODAY,
            any_owner=False,
            customer_type=CustomerType.FORWARDER,
        )
    with pytest.raises(InvalidInput):
        await leads.convert_lead(session, lead_id, owner_id, "NEW001", today=TODAY, any_owner=False)
    with pytest.raises(InvalidInput):
        await leads.convert_lead(session, lead_id, owner_id, "新", today=TODAY, any_owner=False)
    assert len(list(await session.scalars(select(Customer)))) == 1
    assert (await session.get(Lead, lead_id)).status == LeadStatus.NEW  # type: ignore[union-attr]
