"""What a webhook instance derives from its settings and command line: the secret and the path it serves.

Apart from webhook.py, so that a polling bot, which keeps the secret out of its logs too, never imports the
webhook server (aiogram's webhook module and aiohttp.web, 2 MB it would hold for nothing).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit

from portcrm.settings import Settings


def webhook_secret(settings: Settings) -> str:
    """The configured secret, else one derived from the token (Telegram allows A-Z, a-z, 0-9, _ and -)."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    digest = hmac.new(settings.require_token().encode(), b"portcrm-webhook", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def webhook_path(url: str) -> str:
    """The path part of the public URL: the proxy forwards it unchanged, so instances listen on it too."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"the webhook URL must be an http(s) URL, got {url!r}")
    return parts.path or "/"
