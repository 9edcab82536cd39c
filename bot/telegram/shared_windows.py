"""retry_after windows shared through Redis by the instances of one bot.

Each instance keeps its windows in memory (retry_after.py). With several webhook instances, one that never
heard a 429 did not know its window and sent into it: in the fault campaign's phase 2, four requests went
into windows that a 429 answered to the other instance had opened (its outbox, or the chat's previous update
handled there). Telegram holds the bot, not the instance, to the window.

So with Redis configured, a 429 is also written there (the window's end, kept until it has passed, never
shortened by a later, shorter one), and before a request sets out its chat's and the bot's windows are read
from there: one MGET per request. The windows' ends are wall-clock times, which instances share.

Redis unreachable: the instance goes on with what it knows itself (a warning at most once a minute), as it
did before; sending is never held up by Redis for more than its socket timeout.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

TIMEOUT = 1.0  # seconds a read or write may take before the instance goes on alone
WARN_EVERY = 60.0
BOT = "bot"  # the key of a window that holds every chat

# keeps the later end: a second 429 with a shorter retry_after never shortens the window
_EXTEND = """
local now = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > now then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 0
"""


class SharedWindows:
    """The windows every instance of the bot `bot_id` has heard of, in Redis."""

    def __init__(self, redis: Redis, bot_id: str) -> None:
        self.redis, self.prefix = redis, f"portcrm:{bot_id}:retry_after:"
        self._extend = redis.register_script(_EXTEND)
        self._warned = -WARN_EVERY

    @classmethod
    def from_url(cls, url: str, bot_id: str) -> SharedWindows:
        from redis.asyncio import Redis  # the `redis` extra, needed only with several instances

        return cls(Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT), bot_id)

    async def opened(self, chat: str | None, seconds: float) -> None:
        """Tell the other instances: nothing goes to this chat (None: to anyone) for `seconds` from now."""
        end_ms = int((time.time() + seconds) * 1000)
        try:
            await self._extend(keys=[self.prefix + (chat or BOT)], args=[end_ms, max(1, int(seconds * 1000))])
        except Exception as error:  # any Redis or connection failure: the others may send into it once
            self._warn("could not share a retry_after window: %r", error)

    async def remaining(self, chat: str | None) -> tuple[float, float]:
        """Seconds left of the chat's window and of the bot's, as any instance heard them (0 when none)."""
        keys = [self.prefix + BOT] if chat is None else [self.prefix + chat, self.prefix + BOT]
        try:
            ends = await self.redis.mget(keys)
        except Exception as error:  # Redis away: this instance's own windows still hold
            self._warn("could not read the shared retry_after windows: %r", error)
            return 0.0, 0.0
        now = time.time()
        left = [max(0.0, int(end) / 1000 - now) if end else 0.0 for end in ends]
        return (0.0, left[0]) if chat is None else (left[0], left[1])

    async def close(self) -> None:
        await self.redis.aclose()

    def _warn(self, message: str, error: Exception) -> None:
        if time.monotonic() - self._warned >= WARN_EVERY:
            self._warned = time.monotonic()
            log.warning(message, error)
