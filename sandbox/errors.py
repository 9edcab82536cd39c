"""Errors the sandbox answers with, worded as Telegram words them.

Handlers raise :class:`ApiError`; the HTTP layer turns it into Telegram's error JSON, so every
limit check is a plain ``raise`` close to the rule it enforces.
"""

from __future__ import annotations

import math
from typing import Any


class ApiError(Exception):
    """A Bot API error response: HTTP status, description and optional ``parameters``."""

    def __init__(
        self, status: int, description: str, *, retry_after: int | None = None, bot_wide: bool = False
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.bot_wide = bot_wide  # a 429 of the bot's overall limit: its window covers every chat

    def to_json(self) -> dict[str, Any]:
        """The body Telegram sends for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    """400 with Telegram's ``Bad Request:`` prefix."""
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    """403 with Telegram's ``Forbidden:`` prefix."""
    return ApiError(403, f"Forbidden: {reason}")


def conflict(reason: str) -> ApiError:
    """409 with Telegram's ``Conflict:`` prefix."""
    return ApiError(409, f"Conflict: {reason}")


def too_many_requests(retry_after: float, *, bot_wide: bool = False) -> ApiError:
    """429 carrying ``parameters.retry_after`` (whole seconds, rounded up) as Telegram sends it."""
    retry_after = max(1, math.ceil(retry_after))
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after, bot_wide=bot_wide
    )


def unauthorized() -> ApiError:
    """401 for a token the sandbox does not know."""
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    """404 for a method the sandbox does not implement (Telegram's answer to unknown methods)."""
    return ApiError(404, "Not Found")
