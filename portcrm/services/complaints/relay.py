"""What passes between a complaint's desk topic and its customer, both ways, and what the topic is told.

- `staff_reply` / `staff_file`: the staff's words (or photo, file) in the topic reach the customer, signed
  with the staff member's name, as a "staff_reply" event. The one place that tells the customer: in their
  chat, or by mail when the complaint came by mail or they chose mail (`mail_notices.answered_by_mail`);
  callers never pick the channel themselves. A file for a mail complainant travels as an attachment, so the
  edge hands its bytes over (`FileBytes`): the core cannot fetch a Telegram file.
- `staff_note`: a note written in the topic (a prefix, or a reply to a note) stays internal: a "note" event.
- `customer_writes`: the customer's message, photo or file about their complaint, posted into the topic;
  about a closed complaint it reopens the topic (the complaint itself stays closed: its rating is asked).

The complaint's own news (status changes, the rating, the customer's answers) reach the topic through
`topic_news`, called by the flow.

The keys of the outbox rows name the Telegram message they come from, so a replayed update relays nothing
twice.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintStatus
from portcrm.errors import N_, Conflict
from portcrm.i18n import gettext_for
from portcrm.labels import person_name
from portcrm.messaging import mail_outbox, outbox
from portcrm.models import ChatUser, Complaint, ComplaintEvent, Contact, Staff
from portcrm.services.complaints import topics
from portcrm.services.complaints.desk import DeskRefused, DeskUser, may_act
from portcrm.services.complaints.intake import check_text, load_complaint
from portcrm.services.complaints.mail_notices import answered_by_mail, mail_to_complainant
from portcrm.services.complaints.notices import clip
from portcrm.services.recipients.language import recipient_locale
from portcrm.settings import Locale, Settings
from portcrm.storage.transaction import transactional

log = logging.getLogger(__name__)
S = ComplaintStatus


class CustomerUnreachable(Conflict):
    message = N_("Complaint {ticket}: the customer has no chat with the bot, so nothing was sent.")


@dataclass(frozen=True, slots=True)
class FileBytes:
    """A staff member's photo or file as an e-mail attachment."""

    name: str
    mime_type: str
    content: bytes


@transactional
async def mails_the_customer(session: AsyncSession, complaint_id: int) -> bool:
    """Whether this complaint's customer is answered by mail (the edge then fetches a file's bytes)."""
    return await _by_mail(session, await load_complaint(session, complaint_id))


async def _acting(session: AsyncSession, complaint_id: int, user: DeskUser) -> tuple[Complaint, Staff]:
    complaint = await load_complaint(session, complaint_id)
    if not may_act(complaint, user):
        raise DeskRefused(ticket=complaint.ticket)
    staff = await session.get(Staff, user.staff_id)
    assert staff is not None
    return complaint, staff


async def _customer_chat(
    session: AsyncSession, complaint: Complaint, default_locale: Locale
) -> tuple[int, Contact, Locale]:
    contact = await session.get(Contact, complaint.contact_id) if complaint.contact_id else None
    if contact is None or contact.telegram_user_id is None:
        raise CustomerUnreachable(ticket=complaint.ticket)
    chat_user = await session.get(ChatUser, contact.telegram_user_id)
    return contact.telegram_user_id, contact, recipient_locale(chat_user, contact.locale, default_locale)


async def _by_mail(session: AsyncSession, complaint: Complaint) -> bool:
    contact = await session.get(Contact, complaint.contact_id) if complaint.contact_id else None
    return answered_by_mail(complaint, contact)


def _heading(complaint: Complaint, staff: Staff, locale: Locale) -> str:
    _ = gettext_for(locale)
    return _("Complaint <b>{ticket}</b>, {name} of the port:").format(
        ticket=complaint.ticket, name=html.escape(staff.name)
    )


@transactional
async def staff_reply(
    session: AsyncSession,
    complaint_id: int,
    user: DeskUser,
    text: str,
    *,
    source: str,
    settings: Settings,
) -> Complaint:
    """The staff member's words to the customer, in the customer's chat or by mail, signed; `source` names
    the message they came from (a replay sends nothing twice)."""
    complaint, staff = await _acting(session, complaint_id, user)
    words = check_text(text)
    key = f"complaint:{complaint.id}:reply:{source}"
    if await _by_mail(session, complaint):
        if await mail_to_complainant(
            session, complaint, key=key, text=words, settings=settings, signature=staff.name
        ):
            session.add(
                ComplaintEvent(complaint_id=complaint.id, kind="staff_reply", staff_id=staff.id, text=words)
            )
        return complaint
    chat_id, contact, locale = await _customer_chat(session, complaint, settings.default_locale)
    said = f"{_heading(complaint, staff, locale)}\n\n{html.escape(words)}"
    if await outbox.enqueue(
        session,
        key=key,
        kind="complaint_staff_reply",
        chat_id=chat_id,
        text=said,
        contact_id=contact.id,
    ):
        session.add(
            ComplaintEvent(complaint_id=complaint.id, kind="staff_reply", staff_id=staff.id, text=words)
        )
    return complaint


@transactional
async def staff_file(
    session: AsyncSession,
    complaint_id: int,
    user: DeskUser,
    from_chat_id: int,
    message_id: int,
    caption: str | None,
    *,
    settings: Settings,
    file: FileBytes | None = None,
) -> Complaint:
    """A photo or file from the topic, copied to the customer's chat with the staff member's name, or
    attached to a mail (`file`, fetched by the edge) when the customer is answered by mail."""
    complaint, staff = await _acting(session, complaint_id, user)
    key = f"complaint:{complaint.id}:reply:{from_chat_id}:{message_id}"
    if await _by_mail(session, complaint):
        if file is None:
            raise CustomerUnreachable(ticket=complaint.ticket)
        contact = await session.get(Contact, complaint.contact_id) if complaint.contact_id else None
        locale = recipient_locale(None, contact.locale if contact else None, settings.default_locale)
        said = caption or gettext_for(locale)("Please find the file attached.")
        attachment = mail_outbox.Attachment(file.name, file.mime_type, file.content)
        if await mail_to_complainant(
            session,
            complaint,
            key=key,
            text=said,
            settings=settings,
            signature=staff.name,
            attachments=[attachment],
        ):
            session.add(
                ComplaintEvent(complaint_id=complaint.id, kind="staff_reply", staff_id=staff.id, text=said)
            )
        return complaint
    chat_id, contact, locale = await _customer_chat(session, complaint, settings.default_locale)
    signature = _heading(complaint, staff, locale)
    if caption:
        signature += "\n" + html.escape(clip(caption, 800))
    if await outbox.enqueue(
        session,
        key=key,
        kind="complaint_staff_reply",
        chat_id=chat_id,
        text="—",
        contact_id=contact.id,
    ):
        for row in session.new:
            if getattr(row, "idempotency_key", None) == key:
                row.action = {
                    "op": "copy",
                    "from_chat": from_chat_id,
                    "message": message_id,
                    "caption": signature,
                }
        gettext = gettext_for(locale)
        session.add(
            ComplaintEvent(
                complaint_id=complaint.id,
                kind="staff_reply",
                staff_id=staff.id,
                text=caption or gettext("(a photo or file)"),
            )
        )
    return complaint


@transactional
async def staff_note(session: AsyncSession, complaint_id: int, user: DeskUser, text: str) -> Complaint:
    """An internal note written in the topic: on the history, never to the customer."""
    complaint, staff = await _acting(session, complaint_id, user)
    session.add(
        ComplaintEvent(complaint_id=complaint.id, kind="note", staff_id=staff.id, text=check_text(text))
    )
    return complaint


@transactional
async def customer_writes(
    session: AsyncSession,
    complaint_id: int,
    customer_id: int,
    contact_id: int | None,
    *,
    text: str | None,
    source_chat: int,
    source_message: int,
    has_file: bool,
    default_locale: Locale,
) -> Complaint:
    """The customer's message (text, or a photo or file with its caption) about their complaint: a "message"
    event, and into the complaint's topic. After the close it reopens the topic for the staff to see."""
    complaint = await load_complaint(session, complaint_id, customer_id=customer_id)
    words = check_text(text) if not has_file else (text or "")
    session.add(
        ComplaintEvent(complaint_id=complaint.id, kind="message", contact_id=contact_id, text=words or None)
    )
    contact = await session.get(Contact, contact_id) if contact_id else None
    _ = gettext_for(default_locale)
    who = html.escape(person_name(contact.name, _) if contact else "—")
    head = _("<b>{name}</b> (customer) wrote:").format(name=who)
    source = f"msg:{source_chat}:{source_message}"
    if complaint.status == S.CLOSED:
        await topics.set_closed(session, complaint, source, False)
    if has_file:
        caption = head + (f"\n{html.escape(clip(words, 900))}" if words else "")
        await topics.copy_into_topic(session, complaint, source, source_chat, source_message, caption)
    else:
        await topics.post(session, complaint, source, f"{head}\n\n{html.escape(words)}")
    return complaint
