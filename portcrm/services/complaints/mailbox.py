"""The complaint mailbox (投诉邮箱): what a mail to the complaint address means, decided in one transaction.

The mail adapter (portcrm/mail) reads a mail into an `InboundMail`; `take_mail` then stores it, whatever
becomes of it, in the mail log, and:
- an auto-reply or a delivery report is kept and never answered (a report failing one of our mails fails
  it in the mail outbox);
- a reply to a complaint's mail (`In-Reply-To`/`References`), or a mail naming a complaint's reference in
  its subject, from a contact of THAT complaint's company, is added to it: as the customer's answer when the
  complaint awaits one (flow.customer_answers), else as a "customer_mail" event the desk is told of. A
  mail of another company's contact never lands on it;
- a mail from a known contact's address opens a complaint by e-mail through the chat's own intake
  (category "other", routed as intake routes), with the mail's files, and acknowledges it by mail;
- a mail from an unknown address is kept for staff (/mailbox, `portcrm mail list`), and its sender gets one
  polite reply a month asking who they are.
A mail handed over twice (same Message-ID) counts once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintCategory, ComplaintChannel, ComplaintStatus, MailStatus
from portcrm.errors import N_, Conflict
from portcrm.i18n import gettext_for
from portcrm.messaging import mail_outbox
from portcrm.models import Complaint, ComplaintAttachment, ComplaintEvent, Contact, MailRecord
from portcrm.models.base import utcnow
from portcrm.services.complaints import flow, intake, topic_news
from portcrm.services.complaints.notices import clip, confirm_to_complainant, tell_desk_mail
from portcrm.settings import Settings
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)
TICKET = re.compile(r"\bCP-\d{4}-\d{6}\b")
MAX_MAIL_FILES = 10  # a mail's files kept with its complaint; the size limit is the receiver's
UNKNOWN_REPLY_DAYS = 30  # one reply per unknown address in this many days
KEPT = (MailStatus.UNKNOWN_SENDER, MailStatus.AMBIGUOUS_SENDER)
UNKNOWN_SENDER = N_(
    "Hello,\n\nThank you for writing to the port's complaint mailbox. We could not match the address "
    "{address} to any of our customers' contacts, so we cannot open a complaint from it yet.\n\n"
    "Please write again from the e-mail address your company registered with the port, or tell us your "
    "company's name and your contact person at the port. You can also call our complaint hotline."
    "\n\nYour mail has been kept and our staff will read it.\n\nKind regards,\n"
    "the port's customer service team"
)
HOTLINE = N_("Complaint hotline: {phone}")
UNKNOWN_SUBJECT = N_("Your mail to the port's complaint mailbox")


@dataclass(frozen=True, slots=True)
class MailFile:
    name: str
    mime_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class InboundMail:
    """A mail as the adapter read it: plain values, its text already reduced from HTML where needed."""

    message_id: str
    sender: str  # the From address
    recipient: str
    subject: str
    text: str
    sender_name: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    attachments: tuple[MailFile, ...] = ()
    automatic: MailStatus | None = None  # AUTO_REPLY or BOUNCE: never answered
    bounced: tuple[str, ...] = ()  # the Message-IDs a delivery report says did not arrive


@dataclass(frozen=True, slots=True)
class Taken:
    status: MailStatus | None  # None: this mail had been taken before
    ticket: str | None = None


async def take_mail(
    session: AsyncSession, mail: InboundMail, *, settings: Settings, now: dt.datetime | None = None
) -> Taken:
    """Store the mail and do what it means, all in one transaction: nothing is half-stored."""
    for _attempt in range(3):
        try:
            async with transaction(session):
                return await _take(session, mail, settings, now or utcnow())
        except IntegrityError:
            continue  # the same mail taken at once by another connection, or a ticket number race
    raise Conflict()


async def _take(session: AsyncSession, mail: InboundMail, settings: Settings, now: dt.datetime) -> Taken:
    if await session.scalar(select(MailRecord.id).where(MailRecord.message_id == mail.message_id)):
        return Taken(None)
    if mail.automatic is not None:
        _record(session, mail, mail.automatic, now)
        if mail.automatic == MailStatus.BOUNCE:
            failed = await mail_outbox.mark_bounced(session, mail.bounced, f"bounced: {mail.subject}")
            log.info("delivery report %s: %s of our mails failed", mail.message_id, failed)
        return Taken(mail.automatic)
    contacts = list(
        await session.scalars(
            select(Contact)
            .where(func.lower(Contact.email) == mail.sender.lower(), Contact.erased_at.is_(None))
            .order_by(Contact.is_primary.desc(), Contact.id)
        )
    )
    complaint = await _thread(session, mail)
    if complaint is not None:
        contact = next((c for c in contacts if c.customer_id == complaint.customer_id), None)
        if contact is not None:
            return await _reply(session, mail, complaint, contact, settings, now)
        log.warning("mail %s names complaint %s but is not from its company", mail.message_id, complaint.id)
    if len({c.customer_id for c in contacts}) == 1:
        return await _new_complaint(session, mail, contacts[0], settings, now)
    status = MailStatus.AMBIGUOUS_SENDER if contacts else MailStatus.UNKNOWN_SENDER
    _record(session, mail, status, now)
    if status == MailStatus.UNKNOWN_SENDER:
        await _answer_unknown(session, mail, settings, now)
    return Taken(status)


def _record(
    session: AsyncSession,
    mail: InboundMail,
    status: MailStatus,
    now: dt.datetime,
    complaint_id: int | None = None,
    contact_id: int | None = None,
) -> None:
    session.add(
        MailRecord(
            inbound=True,
            message_id=mail.message_id,
            in_reply_to=mail.in_reply_to,
            references=" ".join(mail.references) or None,
            complaint_id=complaint_id,
            contact_id=contact_id,
            from_address=mail.sender[:320],
            from_name=clip(mail.sender_name, 255) if mail.sender_name else None,
            to_address=mail.recipient[:320],
            subject=mail.subject,
            body=mail.text,
            attachments=len(mail.attachments),
            status=status,
            received_at=now,
        )
    )


async def _thread(session: AsyncSession, mail: InboundMail) -> Complaint | None:
    """The complaint this mail answers: by the mails it names, else by a reference in its subject."""
    ids = [i for i in (mail.in_reply_to, *mail.references) if i]
    if ids:
        complaint_id = await session.scalar(
            select(MailRecord.complaint_id)
            .where(MailRecord.message_id.in_(ids), MailRecord.complaint_id.is_not(None))
            .order_by(MailRecord.id.desc())
            .limit(1)
        )
        if complaint_id is not None:
            return await session.get(Complaint, complaint_id)
    found = TICKET.search(mail.subject)
    if found is None:
        return None
    return await session.scalar(select(Complaint).where(Complaint.ticket == found.group()))


def _description(mail: InboundMail) -> str:
    text, subject = mail.text.strip(), mail.subject.strip()
    parts = [p for p in (subject, text) if p]
    return clip("\n\n".join(parts) or "—", intake.MAX_TEXT)


def _files(mail: InboundMail) -> tuple[intake.AttachmentDraft, ...]:
    return tuple(
        intake.AttachmentDraft(
            kind="photo" if f.mime_type.startswith("image/") else "document",
            file_id=None,
            file_name=clip(f.name, 255),
            mime_type=f.mime_type[:100],
            size=len(f.content),
            content=f.content,
        )
        for f in mail.attachments[:MAX_MAIL_FILES]
    )


async def _new_complaint(
    session: AsyncSession, mail: InboundMail, contact: Contact, settings: Settings, now: dt.datetime
) -> Taken:
    digest = hashlib.sha256(mail.message_id.encode()).hexdigest()[:40]
    draft = intake.ComplaintDraft(
        key=f"mail:{digest}",
        customer_id=contact.customer_id,
        contact_id=contact.id,
        category=ComplaintCategory.OTHER,
        description=_description(mail),
        attachments=_files(mail),
        channel=ComplaintChannel.EMAIL,
    )
    complaint, _created = await intake.file_complaint(
        session,
        draft,
        tz=settings.tz,
        default_locale=settings.default_locale,
        now=now,
        max_attachments=MAX_MAIL_FILES,
    )
    _record(session, mail, MailStatus.COMPLAINT, now, complaint.id, contact.id)
    await session.flush()  # the acknowledgement answers this mail: it must be in the thread
    await confirm_to_complainant(session, complaint, settings.default_locale)
    log.info("complaint %s opened by mail from contact %s", complaint.ticket, contact.id)
    return Taken(MailStatus.COMPLAINT, complaint.ticket)


async def _reply(
    session: AsyncSession,
    mail: InboundMail,
    complaint: Complaint,
    contact: Contact,
    settings: Settings,
    now: dt.datetime,
) -> Taken:
    _record(session, mail, MailStatus.REPLY, now, complaint.id, contact.id)
    words = clip(mail.text.strip() or mail.subject.strip() or "—", intake.MAX_TEXT)
    session.add_all(
        ComplaintAttachment(
            complaint_id=complaint.id,
            kind=a.kind,
            telegram_file_id=None,
            content=a.content,
            file_name=a.file_name,
            mime_type=a.mime_type,
            size=a.size,
        )
        for a in _files(mail)
    )
    if complaint.status == ComplaintStatus.AWAITING_CUSTOMER:  # their answer: the investigation goes on
        await flow.customer_answers(
            session, complaint.id, complaint.customer_id, contact.id, words, settings=settings
        )
    else:
        event = ComplaintEvent(
            complaint_id=complaint.id, at=now, kind="customer_mail", contact_id=contact.id, text=words
        )
        session.add(event)
        await session.flush()
        await tell_desk_mail(session, complaint, event, words, settings)
        await topic_news.mail_posted(session, complaint, event, contact, len(_files(mail)), settings)
    log.info("mail from contact %s added to complaint %s", contact.id, complaint.ticket)
    return Taken(MailStatus.REPLY, complaint.ticket)


async def _answer_unknown(
    session: AsyncSession, mail: InboundMail, settings: Settings, now: dt.datetime
) -> None:
    """One polite reply per address a month, in the port's language and in English."""
    address = mail.sender.lower()
    if settings.complaint_address and address == settings.complaint_address.lower():
        return  # never write to ourselves
    locales = [settings.default_locale] + (["en"] if settings.default_locale != "en" else [])
    texts, subjects = [], []
    for locale in locales:
        _ = gettext_for(locale)
        text = _(UNKNOWN_SENDER).format(address=mail.sender)
        if settings.hotline:
            text += "\n" + _(HOTLINE).format(phone=settings.hotline)
        texts.append(text)
        subjects.append(_(UNKNOWN_SUBJECT))
    period = now.date().toordinal() // UNKNOWN_REPLY_DAYS
    await mail_outbox.enqueue_mail(
        session,
        key=f"mail:unknown:{hashlib.sha256(address.encode()).hexdigest()[:32]}:{period}",
        kind="mail_unknown_sender",
        to=mail.sender,
        subject=" / ".join(dict.fromkeys(subjects)),
        text="\n\n----\n\n".join(texts),
        in_reply_to=mail.message_id,
        references=mail.references,
    )


@dataclass(frozen=True, slots=True)
class KeptMail:
    id: int
    sender: str
    sender_name: str | None
    subject: str
    excerpt: str
    received_at: dt.datetime
    status: MailStatus


async def kept_mails(session: AsyncSession, *, limit: int = 20) -> list[KeptMail]:
    """The newest mails no complaint took (unknown or ambiguous senders), for staff to read."""
    async with transaction(session):
        rows = await session.scalars(
            select(MailRecord)
            .where(MailRecord.inbound.is_(True), MailRecord.status.in_(KEPT))
            .order_by(MailRecord.received_at.desc(), MailRecord.id.desc())
            .limit(limit)
        )
        return [
            KeptMail(
                r.id,
                r.from_address,
                r.from_name,
                r.subject,
                clip(" ".join(r.body.split()), 200),
                r.received_at,
                r.status,
            )
            for r in rows
        ]
