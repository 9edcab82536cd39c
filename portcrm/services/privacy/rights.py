"""A linked person's own data under PIPL (个人信息保护法): what we hold, their consents, deletion requests.

Everything a person does here is keyed by the Telegram account itself, never by an id the chat sends, so a
person can only ever see or change their own record. Consent changes go through the session, so the audit
hook records who changed them and when. Admins and managers execute deletion requests; the erasure itself
lives in `erasure.py`.
"""

from __future__ import annotations

import datetime as dt
import enum
import html
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import N_, Conflict, NotFound
from portcrm.i18n import gettext_for
from portcrm.messaging import outbox
from portcrm.models import ChatUser, Contact, Customer, PrivacyRequest, Staff, StaffRole
from portcrm.services.privacy.erasure import ERASERS, Erasure, erase_contact, require_eraser
from portcrm.services.recipients.language import recipient_locale
from portcrm.settings import Locale
from portcrm.storage.transaction import transactional

log = logging.getLogger(__name__)

DELETION = "deletion"
DELETION_ALERT = N_(
    "<b>Personal data deletion request (PIPL)</b>\n"
    "{contact} of {company} ({code}) asked for their personal data to be deleted. "
    "It must be handled within 15 working days."
)
ERASE_BUTTON = N_("Erase personal data")
ERASE_PREFIX = "perq"  # the alert's button, "perq:<request id>": bot/ui/callbacks/privacy.py unpacks it


class Consent(enum.StrEnum):
    """The optional uses a person may allow, and whether notices reach them by e-mail rather than in chat;
    service messages need no consent and are always on (portcrm/services/recipients/channel.py)."""

    GREETINGS = "greetings"  # festival and birthday greetings
    MARKETING = "marketing"  # news and offers
    EMAIL = "email"  # notices by e-mail instead of chat (contacts.prefers_email); needs an address


@dataclass(frozen=True, slots=True)
class PrivacyView:
    """What the port holds about one person, as shown to that person (the phone already masked)."""

    name: str
    title: str | None
    phone_masked: str | None
    email: str | None
    birthday: dt.date | None
    locale: str | None
    company: str
    greetings: bool
    marketing: bool
    by_email: bool  # notices by e-mail instead of chat
    notice_at: dt.datetime | None
    deletion_requested_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class DeletionRequest:
    requested_at: dt.datetime
    created: bool  # False: an open request already existed, nothing new was recorded


@dataclass(frozen=True, slots=True)
class OpenDeletion:
    """A deletion request waiting for staff, as an admin or manager sees it."""

    request_id: int
    contact_id: int
    contact: str
    company: str
    code: str
    requested_at: dt.datetime


def mask_phone(phone: str | None) -> str | None:
    """Every digit but the last four hidden: enough for the person to recognise their number."""
    if not phone:
        return None
    digits = [c for c in phone if c.isdigit()]
    shown = "".join(digits[-4:]) if len(digits) > 4 else ""
    return ("+" if phone.startswith("+") else "") + "•" * (len(digits) - len(shown)) + shown


@transactional
async def privacy_view(session: AsyncSession, telegram_user_id: int) -> PrivacyView:
    contact = await own_contact(session, telegram_user_id)
    return await _view(session, contact)


@transactional
async def set_consent(
    session: AsyncSession, telegram_user_id: int, consent: Consent, granted: bool
) -> PrivacyView:
    """Grant or withdraw one consent; setting the value it already has changes (and audits) nothing."""
    contact = await own_contact(session, telegram_user_id)
    if consent == Consent.GREETINGS:
        contact.consent_greetings = granted
    elif consent == Consent.MARKETING:
        contact.consent_marketing = granted
    elif contact.email or not granted:  # e-mail only for someone the port has an address for
        contact.prefers_email = granted
    await session.flush()
    view = await _view(session, contact)
    log.info("contact %s set consent %s to %s", contact.id, consent.value, granted)
    return view


@transactional
async def request_deletion(
    session: AsyncSession, telegram_user_id: int, *, default_locale: Locale
) -> DeletionRequest:
    """Record a deletion request and alert admins and managers; an open request is never duplicated.

    Nothing is deleted here: an admin or manager executes the request (PIPL gives 15 working days).
    """
    contact = await own_contact(session, telegram_user_id, lock=True)
    existing = await _open_deletion(session, contact)
    if existing is not None:
        return DeletionRequest(existing.created_at, created=False)
    request = PrivacyRequest(contact_id=contact.id, telegram_user_id=telegram_user_id, kind=DELETION)
    session.add(request)
    await session.flush()
    customer = await session.get(Customer, contact.customer_id)
    assert customer is not None  # the foreign key guarantees it
    for staff, chat_user in await _alerted_staff(session):
        assert staff.telegram_user_id is not None
        locale = recipient_locale(chat_user, None, default_locale)
        _ = gettext_for(locale)
        text = _(DELETION_ALERT).format(
            contact=html.escape(contact.name),
            company=html.escape(customer.name),
            code=html.escape(customer.code),
        )
        await outbox.enqueue(
            session,
            key=f"privacy:{request.id}:staff:{staff.id}",
            kind="privacy_request",
            chat_id=staff.telegram_user_id,
            text=text,
            reply_markup=outbox.inline_keyboard([(_(ERASE_BUTTON), f"{ERASE_PREFIX}:{request.id}")]),
            staff_id=staff.id,
        )
    log.info("contact %s requested deletion of their data (request %s)", contact.id, request.id)
    return DeletionRequest(request.created_at, created=True)


@transactional
async def open_deletions(session: AsyncSession, staff_id: int) -> list[OpenDeletion]:
    """Deletion requests not yet executed, oldest first; for those who may execute them."""
    await require_eraser(session, staff_id)
    rows = await session.execute(
        select(PrivacyRequest, Contact, Customer)
        .join(Contact, Contact.id == PrivacyRequest.contact_id)
        .join(Customer, Customer.id == Contact.customer_id)
        .where(PrivacyRequest.kind == DELETION, PrivacyRequest.handled_at.is_(None))
        .order_by(PrivacyRequest.created_at, PrivacyRequest.id)
    )
    return [_open(request, contact, customer) for request, contact, customer in rows]


@transactional
async def open_deletion(session: AsyncSession, request_id: int, staff_id: int) -> OpenDeletion:
    """One request still to execute, for the confirmation step."""
    await require_eraser(session, staff_id)
    request, contact, customer = await _request(session, request_id)
    return _open(request, contact, customer)


@transactional
async def execute_deletion(
    session: AsyncSession, request_id: int, staff_id: int, *, default_locale: Locale
) -> Erasure:
    """Erase the person who made this request; the request is marked handled by this staff member."""
    await require_eraser(session, staff_id)
    _request_row, contact, _customer = await _request(session, request_id, lock=True)
    return await erase_contact(session, contact.id, staff_id, default_locale=default_locale)


async def _request(
    session: AsyncSession, request_id: int, *, lock: bool = False
) -> tuple[PrivacyRequest, Contact, Customer]:
    request = await session.get(PrivacyRequest, request_id, with_for_update=lock)
    if request is None or request.kind != DELETION or request.contact_id is None:
        raise NotFound(N_("That deletion request does not exist."))
    if request.handled_at is not None:
        raise Conflict(N_("That deletion request has already been handled."))
    contact = await session.get(Contact, request.contact_id)
    customer = await session.get(Customer, contact.customer_id) if contact else None
    if contact is None or customer is None:
        raise NotFound(N_("That deletion request does not exist."))
    return request, contact, customer


def _open(request: PrivacyRequest, contact: Contact, customer: Customer) -> OpenDeletion:
    return OpenDeletion(
        request.id, contact.id, contact.name, customer.name, customer.code, request.created_at
    )


async def own_contact(session: AsyncSession, telegram_user_id: int, *, lock: bool = False) -> Contact:
    query = select(Contact).where(Contact.telegram_user_id == telegram_user_id)
    contact = await session.scalar(query.with_for_update() if lock else query)
    if contact is None:
        raise NotFound(
            N_(
                "Your Telegram account is not linked to a customer. "
                "Please ask your account manager for a personal invite link."
            )
        )
    return contact


async def _open_deletion(session: AsyncSession, contact: Contact) -> PrivacyRequest | None:
    query = select(PrivacyRequest).where(
        PrivacyRequest.contact_id == contact.id,
        PrivacyRequest.kind == DELETION,
        PrivacyRequest.handled_at.is_(None),
    )
    return await session.scalar(query.order_by(PrivacyRequest.id).limit(1))


async def _alerted_staff(session: AsyncSession) -> list[tuple[Staff, ChatUser | None]]:
    rows = await session.execute(
        select(Staff, ChatUser)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .outerjoin(ChatUser, ChatUser.telegram_user_id == Staff.telegram_user_id)
        .where(Staff.active.is_(True), Staff.telegram_user_id.is_not(None), StaffRole.role.in_(ERASERS))
        .order_by(Staff.id)
        .distinct()
    )
    return [(staff, chat_user) for staff, chat_user in rows]


async def _view(session: AsyncSession, contact: Contact) -> PrivacyView:
    customer = await session.get(Customer, contact.customer_id)
    assert customer is not None  # the foreign key guarantees it
    chat_user = await session.get(ChatUser, contact.telegram_user_id) if contact.telegram_user_id else None
    open_request = await _open_deletion(session, contact)
    return PrivacyView(
        name=contact.name,
        title=contact.title,
        phone_masked=mask_phone(contact.phone),
        email=contact.email,
        birthday=contact.birthday,
        locale=(chat_user.locale if chat_user else None) or contact.locale,
        company=customer.name,
        greetings=contact.consent_greetings,
        marketing=contact.consent_marketing,
        by_email=contact.prefers_email,
        notice_at=contact.privacy_notice_at,
        deletion_requested_at=open_request.created_at if open_request else None,
    )
