"""Logging set-up that keeps secrets and personal data out of every log line, whichever library writes it."""

from __future__ import annotations

import logging
import re

from portcrm.feeds.dcsa.subscriptions import FEED_SECRET

# Personal data that may travel inside an exception or a library's debug line: e-mail addresses, and
# phone numbers (mainland mobiles, and anything written with a leading + as E.164). Telegram ids and
# record numbers stay readable: they are how an operator finds an incident.
PERSONAL = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"\+\d[\d ()-]{6,18}\d"), "[phone]"),
    (re.compile(r"(?<!\d)1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)"), "[phone]"),
)


def redact_feed_secrets(text: str) -> str:
    """A feed's secret may be added or rotated by another process while this one runs: known by its shape."""
    return FEED_SECRET.sub("[REDACTED]", text)


def redact_personal(text: str) -> str:
    for pattern, placeholder in PERSONAL:
        text = pattern.sub(placeholder, text)
    return text


class RedactSecrets(logging.Filter):
    """Replaces secrets (the token is in Bot API URLs) and personal data wherever a record has them."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = message
        exc_text = record.exc_text
        for secret in self.secrets:
            redacted = redacted.replace(secret, "[REDACTED]")
            if exc_text:
                exc_text = exc_text.replace(secret, "[REDACTED]")
        redacted = redact_personal(redact_feed_secrets(redacted))
        exc_text = redact_personal(redact_feed_secrets(exc_text)) if exc_text else exc_text
        record.msg, record.args, record.exc_text = redacted, None, exc_text
        return True


def configure_logging(level: int = logging.INFO, secrets: list[str] | None = None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets or []))
    logging.basicConfig(level=level, handlers=[handler], force=True)
