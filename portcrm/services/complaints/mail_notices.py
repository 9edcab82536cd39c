"""Mail to a complainant reached by e-mail: plain-text mails in their language, threaded to the complaint.

A complaint that came by mail is answered by mail, as is a complainant who is reached by e-mail
(portcrm/services/recipients/channel.py). Each mail answers the customer's latest mail about the complaint
(`In-Reply-To`) and carries the thread's ids (`References`), so their mail client shows one conversation,
and the reference CP-… is in every subject, so a reply that lost its headers still finds the complaint.
The texts are written for mail (no chat markup, no buttons: the customer answers by replying).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintChannel, ComplaintStatus
from portcrm.errors import N_
from portcrm.i18n import gettext_for
from portcrm.labels import COMPLAINT_STATUS_NAMES
from portcrm.messaging import mail_outbox
from portcrm.models import ChatUser, Complaint, ComplaintEvent, Contact, MailRecord
from portcrm.services.recipients.channel import by_mail
from portcrm.services.recipients.language import recipient_locale
from portcrm.settings import Locale, Settings

S = ComplaintStatus
REGISTERED_KIND = "complaint_registered"
STATUS_KIND = "complaint_status"
STAFF_REPLY_KIND = "complaint_staff_reply"
TEAM = N_("the port's customer service team")


def answered_by_mail(complaint: Complaint, contact: Contact | None) -> bool:
    """Whether the complainant hears of this complaint by mail rather than in chat."""
    if contact is None or not contact.email or contact.erased_at is not None:
        return False
    return complaint.channel == ComplaintChannel.EMAIL or by_mail(contact)


async def complaint_thread(session: AsyncSession, complaint_id: int) -> tuple[str | None, list[str]]:
    """(the customer's latest mail to answer, the thread's ids oldest first) of a complaint's mail."""
    rows = (
        await session.execute(
            select(MailRecord.message_id, MailRecord.inbound)
            .where(MailRecord.complaint_id == complaint_id)
            .order_by(MailRecord.id)
        )
    ).all()
    latest_in = next((message_id for message_id, inbound in reversed(rows) if inbound), None)
    return latest_in or (rows[-1][0] if rows else None), [message_id for message_id, _ in rows]


async def _locale(session: AsyncSession, contact: Contact, default_locale: Locale) -> Locale:
    user = await session.get(ChatUser, contact.telegram_user_id) if contact.telegram_user_id else None
    return recipient_locale(user, contact.locale, default_locale)


def _frame(_: Callable[[str], str], contact: Contact, body: list[str]) -> str:
    return "\n".join(
        [_("Dear {name},").format(name=contact.name), "", *body, "", _("Kind regards,"), _(TEAM)]
    )


async def _send(
    session: AsyncSession,
    complaint: Complaint,
    contact: Contact,
    *,
    key: str,
    kind: str,
    subject: str,
    text: str,
    attachments: Sequence[mail_outbox.Attachment] = (),
) -> bool:
    assert contact.email is not None
    in_reply_to, references = await complaint_thread(session, complaint.id)
    return await mail_outbox.enqueue_mail(
        session,
        key=key,
        kind=kind,
        to=contact.email,
        to_name=contact.name,
        subject=subject,
        text=text,
        in_reply_to=in_reply_to,
        references=references,
        complaint_id=complaint.id,
        contact_id=contact.id,
        attachments=attachments,
    )


async def mail_registered(
    session: AsyncSession, complaint: Complaint, contact: Contact, default_locale: Locale, key: str
) -> bool:
    """The complainant's acknowledgement with the reference, by mail."""
    _ = gettext_for(await _locale(session, contact, default_locale))
    body = [
        _("Thank you for your mail. Your complaint is registered as {ticket}.").format(
            ticket=complaint.ticket
        ),
        _("A colleague will take care of it and keep you informed by e-mail."),
        "",
        _(
            "To add anything, reply to this e-mail, or write to us with {ticket} in the subject. "
            "Please write from this address, so that we can recognise you."
        ).format(ticket=complaint.ticket),
    ]
    subject = _("Complaint {ticket} registered").format(ticket=complaint.ticket)
    return await _send(
        session,
        complaint,
        contact,
        key=key,
        kind=REGISTERED_KIND,
        subject=subject,
        text=_frame(_, contact, body),
    )


async def mail_status(
    session: AsyncSession,
    complaint: Complaint,
    event: ComplaintEvent,
    contact: Contact,
    default_locale: Locale,
) -> bool:
    """A status change told by mail: what it means and, where we need an answer, how to give it."""
    _ = gettext_for(await _locale(session, contact, default_locale))
    status = _(COMPLAINT_STATUS_NAMES[complaint.status])
    detail = event.text or ""
    body: list[str] = []
    match complaint.status:
        case S.ACKNOWLEDGED:
            body.append(_("We have received your complaint and a colleague is taking care of it."))
        case S.INVESTIGATING:
            body.append(_("We are investigating the facts and the cause, and will come back to you."))
        case S.AWAITING_CUSTOMER:
            body += [_("We need some information from you:"), "", detail, ""]
            body.append(_("Please answer by replying to this e-mail."))
        case S.RESOLUTION_PROPOSED:
            body += [_("We propose this resolution:"), "", detail, ""]
            body.append(_("Please reply to this e-mail to tell us whether you accept it."))
        case S.RESOLVED:
            body.append(_("Thank you for accepting the resolution. Your complaint is resolved."))
        case S.CLOSED:
            if complaint.corrective_action:  # the root cause stays internal; what we changed is theirs
                body += [_("What we changed:"), "", complaint.corrective_action, ""]
            body.append(_("Your complaint is closed. Thank you for telling us: it helps us improve."))
        case _:
            return False
    subject = _("Complaint {ticket}: {status}").format(ticket=complaint.ticket, status=status)
    return await _send(
        session,
        complaint,
        contact,
        key=f"complaint:{complaint.id}:status:{event.id}:mail",
        kind=STATUS_KIND,
        subject=subject,
        text=_frame(_, contact, body),
    )


async def mail_to_complainant(
    session: AsyncSession,
    complaint: Complaint,
    *,
    key: str,
    subject: str | None = None,
    text: str,
    settings: Settings,
    signature: str | None = None,
    attachments: Sequence[mail_outbox.Attachment] = (),
) -> bool:
    """A staff member's words to the complainant by mail, in the caller's transaction (the desk relays a
    reply written in a complaint's topic this way when the complaint came by mail); signed with their
    name when `signature` is given. False when the complainant has no e-mail address or the key was used."""
    contact = await session.get(Contact, complaint.contact_id) if complaint.contact_id else None
    if contact is None or not contact.email or contact.erased_at is not None:
        return False
    _ = gettext_for(await _locale(session, contact, settings.default_locale))
    lines = [text, "", _("Kind regards,"), signature or _(TEAM)]
    if subject is None:
        subject = _("A reply about your complaint {ticket}").format(ticket=complaint.ticket)
    if complaint.ticket not in subject:
        subject = f"{subject} [{complaint.ticket}]"
    return await _send(
        session,
        complaint,
        contact,
        key=key,
        kind=STAFF_REPLY_KIND,
        subject=subject,
        text="\n".join([_("Dear {name},").format(name=contact.name), "", *lines]),
        attachments=attachments,
    )
