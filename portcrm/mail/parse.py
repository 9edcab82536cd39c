"""A raw mail into the mailbox's `InboundMail`: its sender, threading ids, text, files, and whether a robot
sent it. A mail that cannot be read (no headers, no From address) is refused with `Malformed`.

Auto-replies and delivery reports are recognised by what the standards say they carry (RFC 3834
`Auto-Submitted`, RFC 3464 `multipart/report; report-type=delivery-status`, the empty envelope sender of
RFC 5321 §4.5.5) and by what common software sends instead (`Precedence: bulk|junk|list|auto_reply`,
`X-Autoreply`, `X-Autorespond`, `List-Id`, MAILER-DAEMON and postmaster senders).
"""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

from portcrm.enums import MailStatus
from portcrm.mail.html_text import html_to_text
from portcrm.services.complaints.mailbox import InboundMail, MailFile

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
ROBOTS = frozenset({"mailer-daemon", "postmaster"})
BULK = frozenset({"bulk", "junk", "list", "auto_reply"})
MAX_ID = 255  # the mail log's column


class Malformed(ValueError):
    """A mail that cannot be read; its message is the SMTP reply's text."""


def parse_mail(raw: bytes, *, envelope_sender: str, recipient: str) -> InboundMail:
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        sender_name, sender = _sender(message)
        subject = " ".join(_clean(str(message.get("Subject", ""))).split())
        text = _text(message)
        files = tuple(_files(message))
    except Malformed:
        raise
    except Exception as error:  # the parser's and the header registry's many ways of giving up
        raise Malformed(f"the message cannot be read ({type(error).__name__})") from None
    automatic, bounced = _automatic(message, envelope_sender, sender)
    return InboundMail(
        message_id=_message_id(message, raw),
        sender=sender,
        sender_name=sender_name or None,
        recipient=recipient,
        subject=subject,
        text=text,
        in_reply_to=_first_id(message.get("In-Reply-To")),
        references=tuple(_ids(message.get("References"))),
        attachments=files,
        automatic=automatic,
        bounced=bounced,
    )


def _sender(message: EmailMessage) -> tuple[str, str]:
    header = message.get("From")
    addresses = getattr(header, "addresses", ()) if header is not None else ()
    if not addresses or not addresses[0].addr_spec or "@" not in addresses[0].addr_spec:
        raise Malformed("no From header with an address")
    return _clean(addresses[0].display_name), _clean(addresses[0].addr_spec)


def _clean(value: str) -> str:
    """Header text as UTF-8: a mail sent with SMTPUTF8 carries raw UTF-8 in its headers, which the parser
    hands over as surrogate escapes (undecodable bytes become U+FFFD)."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _message_id(message: Message, raw: bytes) -> str:
    found = _first_id(message.get("Message-ID"))
    if found:
        return found
    # none given: one made from the content, so the same mail handed over again is still the same
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@received.portcrm>"


def _ids(value: object) -> list[str]:
    ids = MESSAGE_ID.findall(_clean(str(value or "")))
    return [
        i if len(i) <= MAX_ID else f"<{hashlib.sha256(i.encode()).hexdigest()}@long.portcrm>" for i in ids
    ]


def _first_id(value: object) -> str | None:
    ids = _ids(value)
    return ids[0] if ids else None


def _decoded(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset: read what can be read
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    assert isinstance(body, EmailMessage)
    content = _decoded(body)
    return html_to_text(content) if body.get_content_subtype() == "html" else content.strip()


def _files(message: EmailMessage) -> list[MailFile]:
    body = message.get_body(preferencelist=("plain", "html"))
    files = []
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        name = part.get_filename()
        if not name and part.get_content_maintype() in ("text", "message"):
            continue  # the body's other version, or a report's parts
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            continue
        name = name or f"attachment-{len(files) + 1}"
        name = " ".join(_clean(name).split()) or "attachment"
        files.append(MailFile(name, part.get_content_type(), content))
    return files


def _automatic(
    message: EmailMessage, envelope_sender: str, sender: str
) -> tuple[MailStatus | None, tuple[str, ...]]:
    local = sender.rpartition("@")[0].lower()
    report = message.get_content_type() == "multipart/report"
    if report or local in ROBOTS:
        return MailStatus.BOUNCE, tuple(_reported_ids(message))
    if not envelope_sender or envelope_sender == "<>":
        return MailStatus.AUTO_REPLY, ()
    submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    if (
        (submitted and submitted != "no")
        or precedence in BULK
        or any(message.get(h) is not None for h in ("X-Autoreply", "X-Autorespond", "List-Id"))
    ):
        return MailStatus.AUTO_REPLY, ()
    return None, ()


def _reported_ids(message: EmailMessage) -> list[str]:
    """The Message-IDs of the mail a delivery report returns: in its returned message or headers, else the
    report's own threading headers."""
    found: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            for returned in inner if isinstance(inner, list) else [inner]:
                if isinstance(returned, Message):
                    found += _ids(returned.get("Message-ID"))
        elif kind == "text/rfc822-headers":
            headers = BytesParser(policy=policy.default).parsebytes(part.get_payload(decode=True) or b"")
            found += _ids(headers.get("Message-ID"))
    found += _ids(message.get("In-Reply-To")) + _ids(message.get("References"))
    return list(dict.fromkeys(found))
