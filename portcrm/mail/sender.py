"""The mail sender: a long-lived task that sends the mail outbox through the port's relay.

One mail at a time: claim it (a lease), send it, record the outcome, so a sender killed mid-send repeats at
most that one mail, with the same Message-ID, once its lease ends. A 4xx answer or a lost connection backs
off and tries again (given up after `MAX_ATTEMPTS`); a 5xx answer refuses the mail for good, recorded as
failed with the server's words. Authentication refusals are the configuration's fault, not the mail's:
they back off too. Sends are spaced to `PORTCRM_MAIL_RATE_PER_MINUTE`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

import aiosmtplib

from portcrm.mail.compose import compose
from portcrm.messaging import mail_outbox
from portcrm.messaging.mail_outbox import DueMail
from portcrm.settings import Settings
from portcrm.storage.db import Database

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=5)  # longer than a send with its timeout
SEND_TIMEOUT = 60.0
RETRY_BASE = dt.timedelta(minutes=1)  # doubled for each failed attempt, at most RETRY_MAX
RETRY_MAX = dt.timedelta(hours=2)
AUTH_CODES = frozenset({530, 534, 535, 538})


class MailSender:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        interval: float | None = None,
        lease: dt.timedelta = LEASE,
        retry_base: dt.timedelta = RETRY_BASE,
    ) -> None:
        self.db, self.settings = db, settings
        self.interval = interval if interval is not None else settings.outbox_poll_seconds
        self.lease, self.retry_base = lease, retry_base
        self._gap = 60.0 / settings.mail_rate_per_minute
        self._last_send = -float("inf")

    async def run(self) -> None:
        """Send until cancelled; an unexpected error is logged and the loop goes on."""
        log.info("mail sender started (relay %s:%s)", self.settings.smtp_host, self.settings.smtp_port)
        while True:
            try:
                sent = await self.send_one()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("mail sender: unexpected error; trying again shortly")
                sent = False
            if not sent:
                await asyncio.sleep(self.interval)

    async def send_one(self) -> bool:
        """Claim the oldest due mail and send it; False when none was due."""
        async with self.db.session() as session:
            mail = await mail_outbox.claim_next(session, self.lease)
        if mail is None:
            return False
        wait = self._last_send + self._gap - time.monotonic()
        if wait > 0:  # pacing to the configured rate: the claim's lease covers the wait
            await asyncio.sleep(wait)
        self._last_send = time.monotonic()
        await self._send(mail)
        return True

    async def _send(self, mail: DueMail) -> None:
        settings = self.settings
        try:
            message = compose(mail, settings)
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                use_tls=settings.smtp_tls == "tls",
                start_tls=settings.smtp_tls == "starttls",
                timeout=SEND_TIMEOUT,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refused.code for refused in error.recipients]
            await self._refused(mail, min(codes, default=451), str(error))
        except aiosmtplib.SMTPResponseException as error:
            await self._refused(mail, error.code, f"{error.code} {error.message}")
        except (aiosmtplib.SMTPException, OSError, ValueError) as error:
            await self._retry(mail, f"{type(error).__name__}: {error}")
        else:
            async with self.db.session() as session:
                await mail_outbox.record_sent(session, mail.id, settings.sender_address or "")
            log.info("mail %s sent (%s)", mail.id, mail.kind)

    async def _refused(self, mail: DueMail, code: int, error: str) -> None:
        if 500 <= code < 600 and code not in AUTH_CODES:
            async with self.db.session() as session:
                await mail_outbox.mark_failed(session, mail.id, error)
            log.warning("mail %s refused for good: %s", mail.id, error)
            return
        await self._retry(mail, error)

    async def _retry(self, mail: DueMail, error: str) -> None:
        delay = min(self.retry_base * 2**mail.attempts, RETRY_MAX)
        async with self.db.session() as session:
            gave_up = await mail_outbox.back_off(session, mail.id, error, delay)
        log.warning(
            "mail %s not sent (%s); %s", mail.id, error, "given up" if gave_up else f"again in {delay}"
        )
