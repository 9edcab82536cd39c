"""Linking by phone: only the sender's own number, only one matching contact, never a contact taken."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import Conflict, Forbidden, NotFound
from portcrm.models import Contact
from portcrm.services.identity.invites import create_invite, redeem_invite
from portcrm.services.identity.linking import link_by_phone
from tests.factories import make_contact, make_customer


async def _contact(session: AsyncSession, phone: str, **kw: object) -> Contact:
    customer = await make_customer(session)
    contact = await make_contact(session, customer, phone=phone, **kw)
    await session.commit()
    return contact


class TestLinkByPhone:
    async def test_links_the_one_contact_with_the_senders_own_number(self, session: AsyncSession) -> None:
        contact = await _contact(session, "+8613911112222")
        linked = await link_by_phone(session, 7001, "8613911112222", is_own_contact=True)
        assert linked.contact.id == contact.id
        assert linked.customer.id == contact.customer_id
        await session.refresh(contact)
        assert contact.telegram_user_id == 7001
        assert contact.privacy_notice_at is not None

    async def test_accepts_the_number_with_a_plus_or_in_national_form(self, session: AsyncSession) -> None:
        first = await _contact(session, "+8613911113333")
        second = await _contact(session, "+8613911114444")
        assert (await link_by_phone(session, 7002, "+86 139 1111 3333", True)).contact.id == first.id
        assert (await link_by_phone(session, 7003, "139-1111-4444", True)).contact.id == second.id

    async def test_someone_elses_or_a_forwarded_contact_never_links(self, session: AsyncSession) -> None:
        contact = await _contact(session, "+8613911115555")
        with pytest.raises(Forbidden):
            await link_by_phone(session, 7004, "8613911115555", is_own_contact=False)
        await session.refresh(contact)
        assert contact.telegram_user_id is None

    @pytest.mark.parametrize("phone", ["8613900000000", "not a number", ""])
    async def test_an_unknown_or_invalid_number_is_refused(self, session: AsyncSession, phone: str) -> None:
        await _contact(session, "+8613911116666")
        with pytest.raises(NotFound):
            await link_by_phone(session, 7005, phone, True)

    async def test_several_contacts_with_the_number_are_refused_not_guessed(
        self, session: AsyncSession
    ) -> None:
        first = await _contact(session, "+8613911117777")
        second = await _contact(session, "+8613911117777")
        with pytest.raises(NotFound):
            await link_by_phone(session, 7006, "8613911117777", True)
        for contact in (first, second):
            await session.refresh(contact)
            assert contact.telegram_user_id is None

    async def test_a_contact_linked_to_another_account_is_not_taken(self, session: AsyncSession) -> None:
        contact = await _contact(session, "+8613911118888", telegram_user_id=7100)
        with pytest.raises(Conflict):
            await link_by_phone(session, 7007, "8613911118888", True)
        await session.refresh(contact)
        assert contact.telegram_user_id == 7100

    async def test_an_account_linked_elsewhere_is_not_linked_twice(self, session: AsyncSession) -> None:
        await _contact(session, "+8613911119990", telegram_user_id=7008)
        other = await _contact(session, "+8613911119991")
        with pytest.raises(Conflict):
            await link_by_phone(session, 7008, "8613911119991", True)
        await session.refresh(other)
        assert other.telegram_user_id is None

    async def test_sharing_again_after_linking_is_harmless(self, session: AsyncSession) -> None:
        contact = await _contact(session, "+8613911110001")
        await link_by_phone(session, 7009, "8613911110001", True)
        again = await link_by_phone(session, 7009, "8613911110001", True)
        assert again.contact.id == contact.id


async def test_an_invite_ends_in_the_same_linked_outcome(session: AsyncSession) -> None:
    customer = await make_customer(session, code="LNK001")
    contact = await make_contact(session, customer, name="王芳")
    await session.commit()
    invite, _, _ = await create_invite(session, "LNK001", ttl=dt.timedelta(days=1))
    linked = await redeem_invite(session, invite.code, 7010)
    assert (linked.contact.id, linked.customer.id) == (contact.id, customer.id)
    assert linked.contact.telegram_user_id == 7010
    assert linked.contact.privacy_notice_at is not None
