"""Telegram's flood limits, off unless asked for: the bot must pace itself, Telegram won't.

About one message a second to a private chat (a short burst is tolerated), 20 a minute to a
group, about 30 a second in total; edits count, answerCallbackQuery does not. Breaking a limit
answers 429 with ``retry_after`` like Telegram; what follows a 429 is windows.py's.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import too_many_requests

PRIVATE_BURST = 3
PRIVATE_RATE_PER_SECOND = 1.0
GROUP_PER_MINUTE = 20
GLOBAL_PER_SECOND = 30


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class FloodControl:
    """Per-bot token buckets (private chats) and sliding windows (groups, overall)."""

    enabled: bool = False
    clock: Callable[[], float] = time.monotonic
    _private: dict[tuple[str, int], _Bucket] = field(default_factory=dict)
    _groups: dict[tuple[str, int], deque[float]] = field(default_factory=dict)
    _overall: dict[str, deque[float]] = field(default_factory=dict)

    def check(self, token: str, chat_id: int, *, is_group: bool) -> None:
        """Count one outgoing message or edit, or raise 429 if it would break a limit."""
        if not self.enabled:
            return
        now = self.clock()
        overall = _window(self._overall.setdefault(token, deque()), now, 1.0)
        if len(overall) >= GLOBAL_PER_SECOND:
            raise too_many_requests(overall[0] + 1.0 - now, bot_wide=True)
        if is_group:
            window = _window(self._groups.setdefault((token, chat_id), deque()), now, 60.0)
            if len(window) >= GROUP_PER_MINUTE:
                raise too_many_requests(window[0] + 60.0 - now)
            window.append(now)
        else:
            bucket = self._private.setdefault((token, chat_id), _Bucket(PRIVATE_BURST, now))
            bucket.tokens = min(
                PRIVATE_BURST, bucket.tokens + (now - bucket.updated) * PRIVATE_RATE_PER_SECOND
            )
            bucket.updated = now
            if bucket.tokens < 1:
                raise too_many_requests((1 - bucket.tokens) / PRIVATE_RATE_PER_SECOND)
            bucket.tokens -= 1
        overall.append(now)

    def reset(self) -> None:
        """Forget all counts (for example between test phases)."""
        self._private.clear()
        self._groups.clear()
        self._overall.clear()


def _window(times: deque[float], now: float, span: float) -> deque[float]:
    while times and times[0] <= now - span:
        times.popleft()
    return times
