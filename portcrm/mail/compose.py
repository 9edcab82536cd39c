"""An outbox mail as a MIME message: plain UTF-8 text, threading headers, attachments."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from portcrm.messaging.mail_outbox import PERSONAL_KINDS, REPLYING_KINDS, DueMail
from portcrm.models.base import utcnow
from portcrm.settings import Settings


def compose(mail: DueMail, settings: Settings) -> EmailMessage:
    sender = settings.sender_address
    if sender is None:
        raise ValueError("no From address: set PORTCRM_MAIL_FROM or PORTCRM_COMPLAINT_ADDRESS")
    message = EmailMessage()
    message["From"] = _address(settings.mail_from_name, sender)
    message["To"] = _address(mail.to_name or "", mail.to_address)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = mail.message_id
    if mail.in_reply_to:
        message["In-Reply-To"] = mail.in_reply_to
    if mail.references:
        message["References"] = mail.references
    if mail.kind not in PERSONAL_KINDS:
        message["Auto-Submitted"] = "auto-replied" if mail.kind in REPLYING_KINDS else "auto-generated"
    message.set_content(mail.body, charset="utf-8")
    for attachment in mail.attachments:
        main, _, sub = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=main or "application",
            subtype=sub or "octet-stream",
            filename=attachment.name,
        )
    return message


def _address(name: str, address: str) -> Address:
    local, _, domain = address.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)
