"""Complaint intake: the draft's rules, its shipment, and submission as one idempotent call.

What happens after intake lives in `flow` (the status steps) and `cards` (what a complaint shows); the
pushes about complaints in `notices`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintCategory, ComplaintChannel, ComplaintStatus, NotificationStatus, Role
from portcrm.errors import N_, Conflict, InvalidInput, NotFound
from portcrm.messaging import outbox
from portcrm.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    Contact,
    Container,
    Customer,
    Notification,
    Shipment,
)
from portcrm.models.base import utcnow
from portcrm.services.complaints import topics
from portcrm.services.complaints.notices import alert_market, confirm_to_complainant, registered_key
from portcrm.settings import Locale
from portcrm.storage.transaction import transaction, transactional

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

# The market department hears every complaint; the department that can fix the cause handles it.
ROUTING: dict[ComplaintCategory, Role] = {
    ComplaintCategory.BILLING: Role.FINANCE,
    ComplaintCategory.CARGO_DAMAGE: Role.OPERATIONS,
    ComplaintCategory.DELAY: Role.OPERATIONS,
    ComplaintCategory.DOCUMENTATION: Role.OPERATIONS,
    ComplaintCategory.STAFF_SERVICE: Role.MARKET,
    ComplaintCategory.OTHER: Role.MARKET,
}
MAX_TEXT = 4000  # a description or answer, leaving room in a 4096-character message for the frame
MAX_ATTACHMENTS = 5
MAX_SHIPMENT_CHOICES = 8
MAX_LISTED = 10
# how long a confirmation is left to the chat that holds it before the outbox sends it: longer than a
# handler's send with all its retries, as the outbox would otherwise send it too
CONFIRMATION_HOLD = dt.timedelta(minutes=2)
_MAX_ID = 2**63 - 1  # forged button ids beyond this would overflow the database driver


class ComplaintNotFound(NotFound):
    # also the answer for another company's complaint: "not yours" must not differ from "not there"
    message = N_("That complaint was not found.")


class DraftGone(NotFound):
    # a Submit button whose draft never became a complaint: discarded, or replaced by a newer one
    message = N_("This button is no longer valid.")


class StepNotPossible(Conflict):
    message = N_("Complaint {ticket} is not at a stage where that is possible.")


class ContactNotFound(NotFound):
    message = N_("That contact is not one of this company's contacts.")


class ShipmentNotFound(NotFound):
    message = N_("That shipment was not found among your company's shipments.")


@dataclass(frozen=True, slots=True)
class AttachmentDraft:
    kind: str  # "photo" or "document"
    file_id: str | None  # Telegram's, for a file sent in chat
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    content: bytes | None = None  # the file itself, for one that came by mail


@dataclass(frozen=True, slots=True)
class ComplaintDraft:
    """What the customer filled in; `key` is fixed when the draft starts, so a repeated submit is one."""

    key: str
    customer_id: int
    contact_id: int | None
    category: ComplaintCategory
    description: str
    shipment_id: int | None = None
    attachments: tuple[AttachmentDraft, ...] = ()
    channel: ComplaintChannel = ComplaintChannel.CHAT
    taken_by_id: int | None = None  # the colleague who logged it for the customer (a hotline call)


@dataclass(frozen=True, slots=True)
class Confirmation:
    """The message that tells the customer their ticket, which they have not had yet.

    It is in the outbox from the transaction that stored the complaint (or, for an older complaint, the
    one that found it missing), so no crash can lose it. The call that returns it holds it there for
    CONFIRMATION_HOLD, to send it in the chat at once, then says how that went: `confirmation_sent`, or
    `confirmation_not_sent` and the outbox sends it now. Cut off in between (a crash), it is sent by the
    outbox when the hold ends, or sooner by the replayed update, which holds it again. Meanwhile the
    chat's later notifications wait behind it, so they still arrive in order.
    """

    notification_id: int
    chat_id: int
    text: str


@dataclass(frozen=True, slots=True)
class Submission:
    complaint: Complaint
    created: bool
    confirmation: Confirmation | None = None  # None once the customer has had it, or without a chat


def check_text(text: str | None) -> str:
    """A description, answer or reason as typed (stored verbatim), refused when empty or too long."""
    if not text or not text.strip():
        raise InvalidInput(N_("Please write a few words."))
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            N_("Too long: {length} characters, the limit is {limit}. Please shorten it and send it again."),
            length=len(text),
            limit=MAX_TEXT,
        )
    return text


def add_attachment(
    attachments: Sequence[AttachmentDraft], new: AttachmentDraft
) -> tuple[AttachmentDraft, ...]:
    if len(attachments) >= MAX_ATTACHMENTS:
        raise InvalidInput(
            N_("A complaint can carry {limit} files, and you have added them all. Press Done to continue."),
            limit=MAX_ATTACHMENTS,
        )
    return (*attachments, new)


async def load_complaint(
    session: AsyncSession,
    complaint_id: int,
    *,
    customer_id: int | None = None,
    statuses: Iterable[ComplaintStatus] = (),
) -> Complaint:
    """The complaint, checked against the customer asking (when one is) and the statuses the step needs."""
    complaint = await session.get(Complaint, complaint_id) if 0 < complaint_id <= _MAX_ID else None
    if complaint is None or customer_id not in (None, complaint.customer_id):
        raise ComplaintNotFound()
    allowed = set(statuses)
    if allowed and complaint.status not in allowed:
        raise StepNotPossible(ticket=complaint.ticket)
    return complaint


@dataclass(frozen=True, slots=True)
class ShipmentChoice:
    """A shipment as the complaint form offers it: what its button says."""

    id: int
    bl_number: str | None
    booking_ref: str | None
    vessel_name: str | None
    voyage: str | None


_shipments = Shipment.__table__.c
_CHOICES = (
    select(
        _shipments.id, _shipments.bl_number, _shipments.booking_ref, _shipments.vessel_name, _shipments.voyage
    )
    .where(_shipments.customer_id == bindparam("customer_id"))
    .order_by(
        func.coalesce(_shipments.eta, _shipments.etd, _shipments.created_at).desc(), _shipments.id.desc()
    )
    .limit(MAX_SHIPMENT_CHOICES)
)


@transactional
async def shipment_choices(session: AsyncSession, customer_id: int) -> list[ShipmentChoice]:
    """The customer's most recent shipments, to name the one a complaint is about (a Core read: the form
    asks it at every complaint, and ORM objects would load their containers for nothing)."""
    rows = await session.execute(_CHOICES, {"customer_id": customer_id})
    return [ShipmentChoice(*row) for row in rows]


@transactional
async def choose_shipment(session: AsyncSession, customer_id: int, shipment_id: int) -> Shipment:
    return await _own_shipment(session, customer_id, shipment_id)


async def submit_complaint(
    session: AsyncSession,
    draft: ComplaintDraft,
    *,
    tz: dt.tzinfo,
    default_locale: Locale,
    now: dt.datetime | None = None,
    confirm_in_chat: bool = False,
) -> Submission:
    """Create the complaint with attachments, first event, staff alerts and the customer's confirmation;
    or return the one of this key.

    `confirm_in_chat`: the caller sends the confirmation itself, so the submission carries it, held for
    the caller, while the customer has not had it (see `Confirmation`). Otherwise the outbox sends it.
    """
    for _attempt in range(3):
        try:
            async with transaction(session):
                existing = await session.scalar(
                    select(Complaint).where(
                        Complaint.idempotency_key == draft.key, Complaint.customer_id == draft.customer_id
                    )
                )
                if existing is not None:
                    confirmation = await _confirmation(session, existing, default_locale, confirm_in_chat)
                    return Submission(existing, created=False, confirmation=confirmation)
                complaint = await _create(session, draft, tz, default_locale, now or utcnow())
                confirmation = await _confirmation(session, complaint, default_locale, confirm_in_chat)
        except IntegrityError:
            # a concurrent submit took this key or ticket number first (PostgreSQL); look again
            continue
        log.info("complaint %s filed by customer %s", complaint.ticket, complaint.customer_id)
        return Submission(complaint, created=True, confirmation=confirmation)
    raise Conflict()


async def file_complaint(
    session: AsyncSession,
    draft: ComplaintDraft,
    *,
    tz: dt.tzinfo,
    default_locale: Locale,
    now: dt.datetime | None = None,
    max_attachments: int = MAX_ATTACHMENTS,
) -> tuple[Complaint, bool]:
    """In the caller's transaction, for intake by another channel (the mailbox): the complaint of this key,
    or a new one with its attachments, first event and staff alerts; whether it is new. The caller tells
    the complainant (`notices.confirm_to_complainant`) once it has recorded what it needs to."""
    existing = await session.scalar(
        select(Complaint).where(
            Complaint.idempotency_key == draft.key, Complaint.customer_id == draft.customer_id
        )
    )
    if existing is not None:
        return existing, False
    return await _create(session, draft, tz, default_locale, now or utcnow(), max_attachments), True


@transactional
async def submitted_by_key(
    session: AsyncSession, customer_id: int, key: str, *, default_locale: Locale
) -> Submission:
    """What a draft became, for a Submit button pressed again after the draft was cleared (or replayed
    after a crash): the complaint, and its confirmation if the customer has not had it."""
    complaint = await session.scalar(
        select(Complaint).where(Complaint.idempotency_key == key, Complaint.customer_id == customer_id)
    )
    if complaint is None:
        raise DraftGone()
    confirmation = await _confirmation(session, complaint, default_locale, hold=True)
    return Submission(complaint, created=False, confirmation=confirmation)


async def confirmation_sent(session: AsyncSession, confirmation: Confirmation, message_id: int) -> None:
    """The chat delivered it: the outbox never will."""
    await outbox.record_sent(session, [([confirmation.notification_id], message_id)])


async def confirmation_not_sent(session: AsyncSession, confirmation: Confirmation) -> None:
    """The chat could not deliver it: the outbox sends it now, with its own retries."""
    await outbox.release(session, [confirmation.notification_id])


async def _confirmation(
    session: AsyncSession, complaint: Complaint, default_locale: Locale, hold: bool
) -> Confirmation | None:
    """The complaint's confirmation, into the outbox if it is not there yet; returned, held for the caller
    (see `Confirmation`), when the caller asks to `hold` it and it was not delivered.

    A hold takes it from whoever held it before: a handler that died, or the outbox once an earlier hold
    ran out. Only in that last case, with the outbox's send in flight at that moment, is it sent twice.
    """
    key = registered_key(complaint.id)
    found = select(Notification).where(Notification.idempotency_key == key).with_for_update()
    row = await session.scalar(found)
    if row is None:
        if not await confirm_to_complainant(session, complaint, default_locale):
            return None
        row = await session.scalar(found)
        assert row is not None
    if not hold or row.status == NotificationStatus.SENT:
        return None
    row.status, row.next_attempt_at = NotificationStatus.PENDING, utcnow() + CONFIRMATION_HOLD
    await session.flush()
    return Confirmation(row.id, row.chat_id, row.text)


async def _own_shipment(session: AsyncSession, customer_id: int, shipment_id: int) -> Shipment:
    shipment = await session.get(Shipment, shipment_id) if 0 < shipment_id <= _MAX_ID else None
    if shipment is None or shipment.customer_id != customer_id:
        raise ShipmentNotFound()
    return shipment


async def _create(
    session: AsyncSession,
    draft: ComplaintDraft,
    tz: dt.tzinfo,
    default_locale: Locale,
    now: dt.datetime,
    max_attachments: int = MAX_ATTACHMENTS,
) -> Complaint:
    description = check_text(draft.description)
    if len(draft.attachments) > max_attachments:
        raise InvalidInput(N_("A complaint can carry at most {limit} files."), limit=max_attachments)
    shipment = (
        await _own_shipment(session, draft.customer_id, draft.shipment_id) if draft.shipment_id else None
    )
    customer = await session.get(Customer, draft.customer_id)
    if customer is None:
        raise NotFound()
    if draft.contact_id is not None:
        contact = await session.get(Contact, draft.contact_id)
        if contact is None or contact.customer_id != customer.id:
            raise ContactNotFound()
    complaint = Complaint(
        ticket=await _next_ticket(session, now.astimezone(tz).year),
        idempotency_key=draft.key,
        customer_id=customer.id,
        contact_id=draft.contact_id,
        channel=draft.channel,
        category=draft.category,
        department=ROUTING[draft.category],
        shipment_id=shipment.id if shipment else None,
        shipment_snapshot=await _snapshot(session, shipment) if shipment else None,
        description=description,
        status=ComplaintStatus.SUBMITTED,
        created_at=now,
        updated_at=now,
    )
    session.add(complaint)
    await session.flush()
    session.add_all(
        ComplaintAttachment(
            complaint_id=complaint.id,
            kind=a.kind,
            telegram_file_id=a.file_id,
            content=a.content,
            file_name=a.file_name,
            mime_type=a.mime_type,
            size=a.size,
        )
        for a in draft.attachments
    )
    session.add(
        ComplaintEvent(
            complaint_id=complaint.id,
            at=now,
            kind="created",
            to_status=ComplaintStatus.SUBMITTED,
            contact_id=draft.contact_id,
            staff_id=draft.taken_by_id,
        )
    )
    await alert_market(session, complaint, customer, default_locale)
    await topics.open_topic(session, complaint)  # its topic on the desk, when a desk group is attached
    return complaint


async def _next_ticket(session: AsyncSession, year: int) -> str:
    """CP-YYYY-NNNNNN, numbered per year in creation order (the port's year, in its time zone)."""
    prefix = f"CP-{year}-"
    last = await session.scalar(select(func.max(Complaint.ticket)).where(Complaint.ticket.startswith(prefix)))
    return f"{prefix}{int(last.removeprefix(prefix)) + 1 if last else 1:06d}"


async def _snapshot(session: AsyncSession, shipment: Shipment) -> dict[str, Any]:
    """The shipment as the customer saw it when complaining; it keeps moving afterwards."""
    containers = await session.scalars(
        select(Container.number).where(Container.shipment_id == shipment.id).order_by(Container.number)
    )
    return {
        "bl_number": shipment.bl_number,
        "booking_ref": shipment.booking_ref,
        "vessel_name": shipment.vessel_name,
        "voyage": shipment.voyage,
        "port_of_loading": shipment.port_of_loading,
        "port_of_discharge": shipment.port_of_discharge,
        "status": shipment.status.value if shipment.status else None,
        "location": shipment.location,
        "eta": shipment.eta.isoformat() if shipment.eta else None,
        "containers": list(containers),
    }
