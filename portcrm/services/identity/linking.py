"""Linking a Telegram user to a customer's contact: by a shared phone number, or (see invites) by an invite.

Both ways end in `attach`, so the same rules hold whichever way a user arrives: one Telegram account per
contact, one contact per Telegram account, and the PIPL notice is due the moment the link is made.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from portcrm.identifiers import normalise_phone
from portcrm.models import Contact, Customer
from portcrm.models.base import utcnow
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)

_NO_MATCH = N_(
    "I could not link your account with this phone number. "
    "Please ask your account manager for a personal invite link."
)


class Linked(NamedTuple):
    """The outcome of either way of linking; unpacks as (contact, customer)."""

    contact: Contact
    customer: Customer


async def attach(session: AsyncSession, contact: Contact, telegram_user_id: int) -> Linked:
    """Link the contact to the Telegram user in the caller's transaction."""
    already = await session.scalar(select(Contact).where(Contact.telegram_user_id == telegram_user_id))
    if already is not None and already.id != contact.id:
        raise Conflict(N_("Your Telegram account is already linked to another company's contact."))
    if contact.telegram_user_id not in (None, telegram_user_id):
        raise Conflict(N_("This contact is already linked to another Telegram account."))
    contact.telegram_user_id = telegram_user_id
    # the chat shows the PIPL notice right after linking; consent choices are the contact's from then on
    contact.privacy_notice_at = utcnow()
    customer = await session.get(Customer, contact.customer_id)
    assert customer is not None  # the foreign key guarantees it
    return Linked(contact, customer)


async def link_by_phone(
    session: AsyncSession, telegram_user_id: int, phone: str, is_own_contact: bool
) -> Linked:
    """Link the user to the one contact registered with their own phone number.

    Only the sender's own number links (a forwarded card or someone else's contact proves nothing), and
    only when exactly one contact has it: with several we do not guess.
    """
    async with transaction(session):
        linked = await _match(session, telegram_user_id, phone, is_own_contact)
    log.info("telegram user %s linked to contact %s by phone", telegram_user_id, linked.contact.id)
    return linked


async def _match(session: AsyncSession, telegram_user_id: int, phone: str, is_own_contact: bool) -> Linked:
    if not is_own_contact:
        raise Forbidden(
            N_(
                "Only your own phone number can link your account. "
                "Please press the “Share my phone number” button instead of sending a contact."
            )
        )
    number = _e164(phone)
    contacts: list[Contact] = []
    if number is not None:
        query = select(Contact).where(Contact.phone == number).order_by(Contact.id).limit(2)
        contacts = list(await session.scalars(query))
    if len(contacts) != 1:
        log.info("phone link refused for telegram user %s: %s matches", telegram_user_id, len(contacts))
        raise NotFound(_NO_MATCH)
    contact = contacts[0]
    if contact.telegram_user_id not in (None, telegram_user_id):
        raise Conflict(
            N_(
                "This phone number is already linked to another Telegram account. "
                "Please ask your account manager for a personal invite link."
            )
        )
    return await attach(session, contact, telegram_user_id)


def _e164(raw: str) -> str | None:
    """Telegram sends a shared contact's number in international form, usually without the plus sign."""
    raw = raw.strip()
    candidates = [raw] if raw.startswith("+") else ["+" + raw, raw]
    for candidate in candidates:
        try:
            return normalise_phone(candidate)
        except InvalidInput:
            continue
    return None
