"""Scheduled failures, so tests can see how the bot copes with Telegram misbehaving.

``sandbox.faults.add(method="sendMessage", status=429, retry_after=3)`` makes the next matching
call fail; ``status="timeout"`` holds the response instead (longer than aiogram's 60 s default
unless ``delay`` says otherwise); ``status="drop"`` closes the connection without answering.
``apply=True`` performs the call anyway, as when Telegram did the work but the answer was lost on
the way back.

A 502 is answered with an HTML page, as Telegram's front servers answer it (aiogram then raises
``ClientDecodeError``, not ``TelegramServerError``); ``html=False`` gives Telegram's JSON instead, and
``html=True`` an HTML page for any other status.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from .errors import ApiError, too_many_requests

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_HOLD = 120.0
HTML_BY_DEFAULT = frozenset({502})
Status = int | Literal["timeout", "drop"]
_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: injected fault",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Fault:
    """One scheduled failure; ``times`` counts down as matching calls consume it."""

    method: str | None
    status: Status
    times: int = 1
    retry_after: int = 3
    delay: float | None = None
    description: str | None = None
    apply: bool = False
    chat_id: int | None = None
    html: bool | None = None

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.method not in (None, "*") and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)

    def error(self) -> ApiError:
        """The error response this fault answers with (not used for timeouts and drops)."""
        if self.status == 429:
            error = too_many_requests(self.retry_after)
            if self.description:
                error.description = self.description
            return error
        assert isinstance(self.status, int)
        return ApiError(self.status, self.description or _DESCRIPTIONS.get(self.status, "Injected fault"))

    def page(self) -> str | None:
        """The HTML page answered instead of JSON, if this fault answers with one."""
        html = self.status in HTML_BY_DEFAULT if self.html is None else self.html
        if not html or not isinstance(self.status, int):
            return None
        title = f"{self.status} {_DESCRIPTIONS.get(self.status, 'Error')}"
        return (
            f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>"
            "\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        )

    @property
    def hold_seconds(self) -> float:
        return DEFAULT_TIMEOUT_HOLD if self.delay is None else self.delay


class FaultQueue:
    """Faults in the order they were added; the first matching one is used."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(
        self,
        method: str | None = "sendMessage",
        status: Status = 500,
        *,
        times: int = 1,
        retry_after: int = 3,
        delay: float | None = None,
        description: str | None = None,
        apply: bool = False,
        chat_id: int | None = None,
        html: bool | None = None,
    ) -> Fault:
        """Schedule a failure for the next ``times`` calls of ``method`` (None or "*" = any method)."""
        if status not in ("timeout", "drop") and not (isinstance(status, int) and 400 <= status <= 599):
            raise ValueError(f"status must be an HTTP error code, 'timeout' or 'drop', not {status!r}")
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = Fault(method, status, times, retry_after, delay, description, apply, chat_id, html)
        self._faults.append(fault)
        return fault

    def take(self, method: str, chat_id: Any = None) -> Fault | None:
        """Consume one use of the first fault matching this call, if any."""
        for fault in self._faults:
            if fault.matches(method, chat_id):
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                logger.info("Injecting fault %s into %s", fault.status, method)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        return list(self._faults)

    def __len__(self) -> int:
        return len(self._faults)
