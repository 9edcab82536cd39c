"""Erasing a person's data on their request (PIPL art. 47): the one place that knows where it lives.

The contact row stays, anonymised, so the company's records that point at it (complaints, visits, surveys,
inquiries, invoices) keep their meaning. What identifies the person goes: their own fields, the Telegram
link and everything keyed by it, their raw updates, the notifications and mail written to them or by them,
the values in the audit log (the one edit its triggers allow, migration 0008), and their name, phone or
email where free text mentions them, replaced by the anonymous label (a sign and the id, which each edge
names in its reader's words: labels.person_name). The company's ledgers are never deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from portcrm.audit import Actor
from portcrm.enums import NotificationStatus, Role
from portcrm.errors import N_, Conflict, Forbidden, NotFound
from portcrm.i18n import gettext_for
from portcrm.labels import ERASED_NAME
from portcrm.messaging import outbox
from portcrm.models import (
    AuditEntry,
    ChatUser,
    Complaint,
    ComplaintEvent,
    Contact,
    Inquiry,
    Invite,
    Lead,
    MailRecord,
    Notification,
    OutgoingMail,
    OutgoingMailAttachment,
    PrivacyRequest,
    ShipmentSubscription,
    Staff,
    Survey,
    Visit,
)
from portcrm.models.audit import ERASED_MARKER
from portcrm.models.base import utcnow
from portcrm.services.privacy.traces import Traces, forget_updates, scrub
from portcrm.services.recipients.language import recipient_locale
from portcrm.settings import Locale
from portcrm.storage.transaction import transactional

log = logging.getLogger(__name__)

ERASERS = (Role.ADMIN, Role.MANAGER)  # who may execute an erasure (and is alerted to requests)
ERASED_NOTICE = N_(
    "As you asked, the port has erased your personal data and unlinked your Telegram account. "
    "You will receive no more messages here. Records the company must keep, such as invoices, "
    "shipments and complaints, remain without your personal details."
)
ERASED_CONTACT = N_(
    "That contact's personal data was erased at their request. If they come back, add them as a new contact."
)
_CANCELLED = "cancelled: the recipient's personal data was erased"
_PERSONAL_FIELDS = {
    "title": None,
    "phone": None,
    "email": None,
    "birthday": None,
    "locale": None,
    "is_primary": False,
    "is_billing": False,
    "consent_greetings": False,
    "consent_marketing": False,
    "telegram_user_id": None,
    "notes": None,
    "interests": None,
    "education": None,
    "communication_style": None,
}
# free text of the company's records that may mention the person: (columns, the company's rows)
_FREE_TEXT: list[tuple[Sequence[InstrumentedAttribute[Any]], Any]] = [
    (
        (Complaint.description, Complaint.resolution, Complaint.corrective_action),
        Complaint.customer_id,
    ),
    ((Complaint.satisfaction_comment,), Complaint.customer_id),
    ((Visit.notes, Visit.outcome), Visit.customer_id),
    ((Inquiry.text, Inquiry.answer), Inquiry.customer_id),
    ((Survey.comment,), Survey.customer_id),
]


@dataclass(frozen=True, slots=True)
class Erasure:
    contact_id: int
    label: str  # the anonymous name now stored (labels.ERASED_NAME); show it through labels.person_name
    # Telegram accounts whose conversation state (a half-filled form) the chat edge must clear: the core
    # cannot reach aiogram's FSM storage
    telegram_user_ids: tuple[int, ...]


def refuse_erased(contact: Contact) -> None:
    """An erased contact never gets personal data back, by an archive edit or by a new Telegram link."""
    if contact.erased_at is not None:
        raise NotFound(ERASED_CONTACT)


async def require_eraser(session: AsyncSession, staff_id: int) -> Staff:
    """The role rule, checked in the core: a forged button or another entry point cannot bypass it."""
    staff = await session.get(Staff, staff_id)
    if staff is None or not staff.active or not staff.role_set.intersection(ERASERS):
        raise Forbidden()
    return staff


@transactional
async def erase_contact(
    session: AsyncSession, contact_id: int, staff_id: int, *, default_locale: Locale
) -> Erasure:
    """Erase one person's data, close their deletion requests and tell them, in one transaction.

    Admins and managers only. Returns the Telegram accounts whose conversation state the edge must clear.
    """
    await require_eraser(session, staff_id)
    contact = await session.get(Contact, contact_id, with_for_update=True)
    if contact is None:
        raise NotFound(N_("That contact no longer exists."))
    if contact.erased_at is not None:
        raise Conflict(N_("This person's data has already been erased."))
    requests = list(
        await session.scalars(
            select(PrivacyRequest).where(PrivacyRequest.contact_id == contact.id).with_for_update()
        )
    )
    accounts = {contact.telegram_user_id, *(r.telegram_user_id for r in requests)} - {None, 0}
    label = ERASED_NAME.format(id=contact.id)  # no language's words: each edge names it (labels.py)
    traces = Traces.of(contact, label, accounts)  # type: ignore[arg-type]  # None removed above
    notice_locale = recipient_locale(
        await session.get(ChatUser, contact.telegram_user_id) if contact.telegram_user_id else None,
        contact.locale,
        default_locale,
    )
    now = utcnow()

    await _silence(session, contact, traces)
    for chat_id in traces.telegram_user_ids:  # after _silence, which would cancel it; before the link goes
        await outbox.enqueue(
            session,
            key=f"erasure:{contact.id}:{chat_id}",
            kind="privacy_erased",
            chat_id=chat_id,
            text=gettext_for(notice_locale)(ERASED_NOTICE),
        )
    await _redact_free_text(session, contact, traces)
    await _forget_mail(session, contact)
    await _unlink(session, contact, traces)
    await forget_updates(session, traces)
    for request in requests:
        request.telegram_user_id = 0  # the row stays as proof the request was handled, not whose account
        if request.handled_at is None:
            request.handled_at, request.handled_by_id = now, staff_id
    # Core UPDATE: the audit hook would copy the personal values into the log; the row below says what
    # happened without them
    await session.execute(
        update(Contact)
        .where(Contact.id == contact.id)
        .values(name=label, erased_at=now, **_PERSONAL_FIELDS)
        .execution_options(synchronize_session="fetch")
    )
    actor = Actor(label=f"staff:{staff_id}", source="chat", staff_id=staff_id)
    session.add(
        AuditEntry(
            at=now,
            actor=actor.label,
            staff_id=staff_id,
            source=actor.source,
            entity=Contact.__tablename__,
            entity_id=contact.id,
            customer_id=contact.customer_id,
            action="erase",
            field="personal_data",
        )
    )
    await session.flush()
    await _erase_audit_values(session, contact.id)
    log.info("contact %s erased by staff %s (%s requests closed)", contact.id, staff_id, len(requests))
    return Erasure(contact.id, label, traces.telegram_user_ids)


async def _forget_mail(session: AsyncSession, contact: Contact) -> None:
    """Mail from and to the person keeps its place in the log (a reply still finds nothing to join) but
    loses their address, name and words; mail still to go to them is cancelled, its files deleted."""
    theirs = [MailRecord.contact_id == contact.id]
    if contact.email:
        address = contact.email.lower()
        theirs += [
            func.lower(MailRecord.from_address) == address,
            func.lower(MailRecord.to_address) == address,
        ]
    await session.execute(
        update(MailRecord)
        .where(or_(*theirs))
        .values(
            from_address=case((MailRecord.inbound, ERASED_MARKER), else_=MailRecord.from_address),
            to_address=case((MailRecord.inbound, MailRecord.to_address), else_=ERASED_MARKER),
            from_name=None,
            subject=ERASED_MARKER,
            body=ERASED_MARKER,
        )
        .execution_options(synchronize_session=False)
    )
    to_them = [OutgoingMail.contact_id == contact.id]
    if contact.email:
        to_them.append(func.lower(OutgoingMail.to_address) == contact.email.lower())
    mails = select(OutgoingMail.id).where(or_(*to_them))
    await session.execute(delete(OutgoingMailAttachment).where(OutgoingMailAttachment.mail_id.in_(mails)))
    await session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id.in_(mails), OutgoingMail.status == NotificationStatus.PENDING)
        .values(status=NotificationStatus.UNREACHABLE, last_error=_CANCELLED)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id.in_(mails))
        .values(to_address=ERASED_MARKER, to_name=None, subject=ERASED_MARKER, body=ERASED_MARKER)
        .execution_options(synchronize_session=False)
    )


async def _silence(session: AsyncSession, contact: Contact, traces: Traces) -> None:
    """Notifications to the person lose their text; pending and parked ones are cancelled. Others mentioning
    them (staff alerts) keep their text with the person's name and numbers replaced."""
    to_person = Notification.chat_id.in_(traces.telegram_user_ids)
    await session.execute(
        update(Notification)
        .where(to_person, Notification.status.in_((NotificationStatus.PENDING, NotificationStatus.PARKED)))
        .values(status=NotificationStatus.UNREACHABLE, last_error=_CANCELLED)
    )
    await session.execute(update(Notification).where(to_person).values(text=ERASED_MARKER, reply_markup=None))
    await scrub(session, [Notification.text], ~to_person, traces)


async def _redact_free_text(session: AsyncSession, contact: Contact, traces: Traces) -> None:
    for columns, company in _FREE_TEXT:
        await scrub(session, columns, company == contact.customer_id, traces)
    complaints = select(Complaint.id).where(Complaint.customer_id == contact.customer_id)
    await scrub(session, [ComplaintEvent.text], ComplaintEvent.complaint_id.in_(complaints), traces)
    # a prospect's contact details copied into a lead before it became this customer
    same_person = Lead.contact_name == contact.name
    if contact.phone:
        same_person = or_(same_person, Lead.phone == contact.phone)
    await session.execute(
        update(Lead)
        .where(Lead.converted_customer_id == contact.customer_id, same_person)
        .values(contact_name=None, phone=None)
    )
    await scrub(session, [Lead.notes], Lead.converted_customer_id == contact.customer_id, traces)


async def _unlink(session: AsyncSession, contact: Contact, traces: Traces) -> None:
    """The Telegram link and what hangs on it: subscriptions, invite codes, the chat user's profile."""
    await session.execute(delete(ShipmentSubscription).where(ShipmentSubscription.contact_id == contact.id))
    await session.execute(delete(Invite).where(Invite.contact_id == contact.id))
    staff_accounts = select(Staff.telegram_user_id).where(Staff.telegram_user_id.is_not(None))
    await session.execute(
        delete(ChatUser).where(
            ChatUser.telegram_user_id.in_(traces.telegram_user_ids),
            ChatUser.telegram_user_id.not_in(staff_accounts),  # a colleague keeps their language choice
        )
    )


async def _erase_audit_values(session: AsyncSession, contact_id: int) -> None:
    """The one edit the audit log's triggers allow, now that the contact is marked erased."""

    def erased(column: Any) -> Any:
        return case((column.is_(None), None), else_=ERASED_MARKER)

    await session.execute(
        update(AuditEntry)
        .where(
            AuditEntry.entity == Contact.__tablename__,
            AuditEntry.entity_id == contact_id,
            or_(AuditEntry.old_value.is_not(None), AuditEntry.new_value.is_not(None)),
        )
        .values(old_value=erased(AuditEntry.old_value), new_value=erased(AuditEntry.new_value))
        .execution_options(synchronize_session=False)
    )
