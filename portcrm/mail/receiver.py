"""The complaint mailbox's SMTP receiver (aiosmtpd), on the application's own asyncio loop.

The port's MX or relay forwards mail for the complaint address here (docs/desk.md). Every refusal is an
SMTP answer the sending server reports to its sender at once: 550 for any other recipient, 552 for a mail
over `PORTCRM_MAIL_MAX_BYTES` (aiosmtpd stops reading it: nothing is stored), 554 for a mail that cannot be
read, 451 (try again later) when the database cannot take it. A mail is accepted (250) only once its one
transaction committed (portcrm/services/complaints/mailbox.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiosmtpd.smtp import SMTP, Envelope, Session

from portcrm.mail.parse import Malformed, parse_mail
from portcrm.services.complaints.mailbox import take_mail
from portcrm.settings import ConfigError, Listen, Settings
from portcrm.storage.db import Database

log = logging.getLogger(__name__)


class ComplaintMailbox:
    """The aiosmtpd handler: RCPT and DATA hooks."""

    def __init__(self, db: Database, settings: Settings) -> None:
        if not settings.complaint_address:
            raise ConfigError(
                "PORTCRM_COMPLAINT_ADDRESS: needed to receive mail (PORTCRM_MAIL_LISTEN is set)"
            )
        self.db, self.settings = db, settings
        self.address = settings.complaint_address.lower()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() != self.address:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            mail = parse_mail(raw, envelope_sender=envelope.mail_from or "", recipient=envelope.rcpt_tos[0])
        except Malformed as error:
            log.info("refused a malformed mail from %s: %s", envelope.mail_from, error)
            return f"554 5.6.0 Malformed message: {error}"
        try:
            async with self.db.session() as db_session:
                taken = await take_mail(db_session, mail, settings=self.settings)
        except Exception:
            log.exception("could not take mail %s; the sender is asked to try again", mail.message_id)
            return "451 4.3.0 Temporary failure: please try again later"
        outcome = taken.status.value if taken.status else "duplicate"
        log.info("mail %s taken: %s %s", mail.message_id, outcome, taken.ticket or "")
        return f"250 2.0.0 OK: {taken.ticket}" if taken.ticket else "250 2.0.0 OK"


def smtp_factory(db: Database, settings: Settings) -> SMTP:
    """One SMTP protocol per connection, sharing one handler."""
    handler = ComplaintMailbox(db, settings)
    domain = (settings.complaint_address or "localhost").rpartition("@")[2]
    loop = asyncio.get_running_loop()
    return SMTP(
        handler,
        data_size_limit=settings.mail_max_bytes,
        enable_SMTPUTF8=True,
        decode_data=False,
        hostname=domain,  # given, so aiosmtpd does not look the machine's name up (a blocking DNS call)
        ident="PortCRM complaint mailbox",
        loop=loop,
    )


@contextlib.asynccontextmanager
async def mail_server(db: Database, settings: Settings) -> AsyncIterator[int | None]:
    """Serve SMTP on `PORTCRM_MAIL_LISTEN` while the block runs; yields the port, or None when unset."""
    if not settings.mail_listen:
        yield None
        return
    try:
        listen = Listen.parse(settings.mail_listen)
    except ValueError as error:
        raise ConfigError(f"PORTCRM_MAIL_LISTEN: {error}") from None
    ComplaintMailbox(db, settings)  # a missing complaint address stops start-up here
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: smtp_factory(db, settings), listen.host, listen.port)
    try:
        port = server.sockets[0].getsockname()[1]
        log.info("complaint mailbox listening on %s:%s for %s", listen.host, port, settings.complaint_address)
        yield port
    finally:
        server.close()
        await server.wait_closed()
