"""retry_after windows: once Telegram answers 429, the wait belongs to the chat (or the bot), not the call.

Telegram refuses again any request sent inside a window it announced, whichever code path sends it, and
counts it against the bot. So the sandbox remembers every window it announced and refuses, and records as
a :class:`~sandbox.models.Violation`, each request that arrives inside one:

- a 429 for a request naming a chat (``chat_id``) opens that chat's window; one hitting the bot's overall
  limit, or for a request naming no chat, opens the bot's window, which covers every chat;
- ``answerCallbackQuery`` has no flood limit of its own, but it belongs to the chat the button was pressed
  in: a 429 answered to it opens that chat's window, and it is refused inside the chat's window like any
  other request. Telegram does not say that a 429 on one method spares the chat's others, so the sandbox
  takes the strict reading;
- ``getUpdates`` is never inside a window and announces none.

Windows are kept whether or not flood control is on, so an injected 429 is as binding as a real one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .models import ApiCall, Violation

NOT_LIMITED = frozenset({"getupdates"})
BOT = "bot"


def scope_of(method: str, chat_id: Any) -> str | None:
    """The window a request of this method for this chat falls under; None when none applies. For
    ``answerCallbackQuery``, ``chat_id`` is the chat the query was pressed in."""
    if method.lower() in NOT_LIMITED:
        return None
    return BOT if chat_id is None or chat_id == "" else str(chat_id)


@dataclass
class RetryAfterWindows:
    """The windows announced to each bot (by token) and the requests that arrived inside one."""

    clock: Callable[[], float]
    violations: list[Violation] = field(default_factory=list)
    _until: dict[tuple[str, str], float] = field(default_factory=dict)

    def announce(self, token: str, scope: str, retry_after: int) -> None:
        key = (token, scope)
        self._until[key] = max(self._until.get(key, float("-inf")), self.clock() + retry_after)

    def inside(self, token: str, scope: str) -> tuple[str, float] | None:
        """The open window (its scope and end) a request for ``scope`` would break, if any."""
        now = self.clock()
        for key in ((token, scope), (token, BOT)):
            until = self._until.get(key)
            if until is not None and now < until:
                return key[1], until
        return None

    def violated(self, call: ApiCall, window: tuple[str, float]) -> Violation:
        violation = Violation(call, window[0], self.clock(), window[1])
        self.violations.append(violation)
        return violation

    def reset(self) -> None:
        self._until.clear()
