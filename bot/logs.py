"""Logging set-up that keeps secrets out of every log line, whichever library writes it."""

from __future__ import annotations

import logging


class RedactSecrets(logging.Filter):
    """Replaces secrets (the bot token appears in Bot API URLs) wherever a record mentions them."""

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
        record.msg, record.args, record.exc_text = redacted, None, exc_text
        return True


def configure_logging(level: int = logging.INFO, secrets: list[str] | None = None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets or []))
    logging.basicConfig(level=level, handlers=[handler], force=True)
