"""Real SMTP both ways on localhost: our receiver fed by aiosmtplib, our sender delivering to a sink."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import aiosmtplib
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from portcrm.mail.receiver import mail_server
from portcrm.mail.sender import MailSender
from portcrm.settings import Settings
from portcrm.storage.db import Database

COMPLAINTS = "complaints@port.example"


@dataclass
class Sink:
    """A relay that records what it is given; `answers` scripts its replies to the next DATA commands."""

    port: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.answers:
            return self.answers.pop(0)
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or b"")
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        self.arrived.set()
        return "250 OK"


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    recorder = Sink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(recorder, enable_SMTPUTF8=True, decode_data=False, hostname="sink", loop=loop),
        "127.0.0.1",
        0,
    )
    recorder.port = server.sockets[0].getsockname()[1]
    yield recorder
    server.close()
    await server.wait_closed()


@pytest.fixture
def settings(database_url: str, sink: Sink) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        complaint_address=COMPLAINTS,
        mail_listen="127.0.0.1:0",
        mail_max_bytes=64 * 1024,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_tls="none",
        mail_from_name="宁波港客户服务",
        mail_rate_per_minute=6000,
        hotline="+86 574 8000 0000",
        default_locale="zh_CN",
    )


@pytest.fixture
async def mailbox(db: Database, settings: Settings) -> AsyncIterator[int]:
    """Our receiver, listening on a free port; yields the port."""
    async with mail_server(db, settings) as port:
        assert port is not None
        yield port


@pytest.fixture
def sender(db: Database, settings: Settings) -> MailSender:
    return MailSender(db, settings, interval=0.02)


async def deliver(port: int, message: EmailMessage | bytes, *, sender: str | None = None) -> tuple[int, str]:
    """Hand a mail to our receiver as a relay would; (code, text) of its answer to DATA (or to RCPT)."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, use_tls=False)
    await client.connect()
    try:
        if isinstance(message, EmailMessage):
            mail_from = sender if sender is not None else message["From"].addresses[0].addr_spec
            recipients = [a.addr_spec for a in message["To"].addresses]
            data = message.as_bytes(policy=policy.SMTPUTF8)
        else:
            mail_from, recipients, data = sender or "someone@example.com", [COMPLAINTS], message
        await client.mail(mail_from)
        for recipient in recipients:
            await client.rcpt(recipient)
        response = await client.data(data)
        return response.code, response.message
    except aiosmtplib.SMTPResponseException as error:
        return error.code, error.message
    except aiosmtplib.SMTPRecipientsRefused as error:
        return error.recipients[0].code, error.recipients[0].message
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except aiosmtplib.SMTPException:
                client.close()


def mail(
    *,
    sender: str,
    subject: str = "集装箱破损",
    text: str | None = "您好，我们的集装箱 MSKU1234565 在码头受损。",
    html: str | None = None,
    to: str = COMPLAINTS,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    files: tuple[tuple[str, str, bytes], ...] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"王经理 <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for name, mime, content in files:
        main, _, sub = mime.partition("/")
        message.add_attachment(content, maintype=main, subtype=sub, filename=name)
    return message


async def send_due(sender: MailSender) -> int:
    """Let our sender send everything due now; how many it sent or tried."""
    count = 0
    while await sender.send_one():
        count += 1
    return count
