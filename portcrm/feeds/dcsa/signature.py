"""`Notification-Signature: sha256=<hex>`: the HMAC-SHA256 of the raw body with the subscription's secret.

The standard: "The signature MUST cover the entire request body of the request including whitespace and
newlines", so it is checked on the bytes as received, before anything parses them. DCSA's secret is Base64
(`format: byte`): the subscriber hands the publisher the Base64 text, and the publisher keys the HMAC with
the bytes it decodes to (the reference implementation, dcsaorg/DCSA-TNT, takes exactly 64 of them). A
publisher that keys it with the Base64 text itself is accepted too: both prove it holds the same secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable

SIGNATURE_HEADER = "Notification-Signature"
SUBSCRIPTION_HEADER = "Subscription-ID"
_METHOD = "sha256"
_DIGEST_BYTES = 32


def sign(secret: str, body: bytes) -> str:
    """The header value a publisher sends with this body: what the tests and a publisher's author use."""
    return f"{_METHOD}={hmac.new(_keys(secret)[0], body, hashlib.sha256).hexdigest()}"


def verify(header: str, body: bytes, secrets: Iterable[str]) -> bool:
    """Whether the header is the body's signature with one of the secrets, compared in constant time."""
    method, _, hex_digest = header.strip().partition("=")
    if method.strip().lower() != _METHOD:
        return False
    try:
        given = bytes.fromhex(hex_digest.strip())
    except ValueError:
        return False
    if len(given) != _DIGEST_BYTES:
        return False
    matched = False
    for secret in secrets:
        for key in _keys(secret):
            matched |= hmac.compare_digest(hmac.new(key, body, hashlib.sha256).digest(), given)
    return matched


def _keys(secret: str) -> tuple[bytes, ...]:
    """The bytes the Base64 secret stands for, then its text; only the text when it is not Base64."""
    text = secret.encode()
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return (text,)
    return (decoded, text) if decoded else (text,)
