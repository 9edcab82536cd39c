"""One-time invite codes that link a Telegram user to a customer's contact."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import N_, InvalidInput, NotFound
from portcrm.models import Contact, Customer, Invite
from portcrm.models.base import utcnow
from portcrm.services.archive import customers
from portcrm.services.identity.linking import Linked, attach
from portcrm.services.privacy.erasure import refuse_erased
from portcrm.storage.transaction import transaction, transactional

# Telegram deep-link payloads allow 64 characters of [A-Za-z0-9_-]; 24 url-safe bytes give 32 of them
_CODE_BYTES = 24


@transactional
async def create_invite(
    session: AsyncSession,
    customer_code: str,
    contact_name: str | None = None,
    *,
    ttl: dt.timedelta,
    created_by_id: int | None = None,
) -> tuple[Invite, Contact, Customer]:
    """An invite for the named contact, or the customer's primary contact when none is named."""
    customer = await customers.by_code(session, customer_code)
    query = select(Contact).where(Contact.customer_id == customer.id, Contact.erased_at.is_(None))
    if contact_name:
        query = query.where(Contact.name == contact_name.strip())
    else:
        query = query.order_by(Contact.is_primary.desc(), Contact.id)
    contact = (await session.scalars(query.limit(1))).first()
    if contact is None:
        if contact_name:
            raise NotFound(
                N_("{customer} has no contact named {name}."), customer=customer.name, name=contact_name
            )
        raise InvalidInput(N_("{customer} has no contacts yet; add one first."), customer=customer.name)
    return await _issue(session, contact, customer, ttl, created_by_id)


async def invite_candidates(session: AsyncSession, customer_code: str) -> tuple[Customer, list[Contact]]:
    """The customer and its contacts, primary first, for a marketer choosing whom to invite."""
    customer = await customers.by_code(session, customer_code)  # its own read, ended before a refusal
    async with transaction(session):
        contacts = await session.scalars(
            select(Contact)
            .where(Contact.customer_id == customer.id, Contact.erased_at.is_(None))
            .order_by(Contact.is_primary.desc(), Contact.id)
        )
        return customer, list(contacts)


async def create_invite_for_contact(
    session: AsyncSession, contact_id: int, *, ttl: dt.timedelta, created_by_id: int | None = None
) -> tuple[Invite, Contact, Customer]:
    """An invite for a contact chosen by button; a contact gone meanwhile is refused after the read."""
    async with transaction(session):
        contact = await session.get(Contact, contact_id)
        if contact is not None:
            customer = await session.get(Customer, contact.customer_id)
            assert customer is not None  # the foreign key guarantees it
            return await _issue(session, contact, customer, ttl, created_by_id)
    raise NotFound(N_("That contact no longer exists."))


async def _issue(
    session: AsyncSession, contact: Contact, customer: Customer, ttl: dt.timedelta, created_by_id: int | None
) -> tuple[Invite, Contact, Customer]:
    refuse_erased(contact)
    invite = Invite(
        code=secrets.token_urlsafe(_CODE_BYTES),
        contact_id=contact.id,
        created_by_id=created_by_id,
        expires_at=utcnow() + ttl,
    )
    session.add(invite)
    return invite, contact, customer


def deep_link(bot_username: str, invite: Invite) -> str:
    return f"https://t.me/{bot_username}?start={invite.code}"


@transactional
async def redeem_invite(session: AsyncSession, code: str, telegram_user_id: int) -> Linked:
    """Link the Telegram user to the invite's contact. Single use: a used, expired or unknown code fails."""
    invite = await session.scalar(select(Invite).where(Invite.code == code).with_for_update())
    if invite is None:
        raise NotFound(N_("This invite link is not valid. Please ask your account manager for a new one."))
    contact = await session.get(Contact, invite.contact_id)
    assert contact is not None  # the foreign key cascades deletes
    if invite.used_at is not None:
        if invite.used_by_telegram_id == telegram_user_id and contact.telegram_user_id == telegram_user_id:
            customer = await session.get(Customer, contact.customer_id)
            assert customer is not None
            return Linked(contact, customer)  # pressing the same link again is harmless
        raise InvalidInput(
            N_("This invite link has already been used. Please ask your account manager for a new one.")
        )
    if invite.expires_at <= utcnow():
        raise InvalidInput(N_("This invite link has expired. Please ask your account manager for a new one."))
    linked = await attach(session, contact, telegram_user_id)
    invite.used_at = utcnow()
    invite.used_by_telegram_id = telegram_user_id
    return linked
