"""Which sender may send: with Redis configured, one sender per bot at a time, elected by a lease.

Telegram's limits are per bot, so N instances each pacing at the full rate would send N times too much.
Two ways out: a limiter shared in Redis, or one active sender. A shared token bucket keeps the overall rate,
but a chat's one a second and a group's twenty a minute would need a Redis round trip per chat and send, and
"serve whichever chat may go first" needs every chat's readiness, which one sender knows locally and exactly.
One sender is not a bottleneck either: it reaches dozens of times the allowed rate (bench/delivery.py). So
the sender holding the lease sends and the others stand by; the claims still keep every notification to one
send whoever holds the lease.

The lease is a Redis key with an expiry, taken and renewed by one script (so only its holder extends it) every
third of its life. The holder stops starting sends MARGIN seconds before its lease could have expired (its own
clock, counted from before the request), so two senders never start sends in the same moment, and the old
holder's last start is over a second old when the new one starts. A clean stop deletes the key: a standby
takes over within STANDBY_RETRY. A crashed holder is replaced when its key expires (LEASE seconds). After a
takeover a group may get up to GROUP_BURST messages more in that minute than one sender would allow (the
new holder does not know what the old one sent): at worst one 429, a pause, nothing lost.
While Redis is unreachable nobody holds the lease and nothing is sent; the outbox keeps everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from bot.delivery.rates import Clock
from portcrm.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

LEASE = 10.0  # seconds
MARGIN = 1.5  # seconds before the lease could end that its holder stops starting sends
STANDBY_RETRY = 1.0  # seconds between a standby's attempts

# ARGV: token, lease in ms. Extends our own lease, or takes a free one; 1 when we hold it afterwards.
ACQUIRE = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if not holder then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
"""
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class Leadership(Protocol):
    """Entered for as long as the sender runs; `held` is asked before every send."""

    @property
    def held(self) -> bool: ...

    async def __aenter__(self) -> Leadership: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class Alone:
    """No Redis: this sender is the only one it can know of (one machine), as before several instances."""

    held = True

    async def __aenter__(self) -> Alone:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class RedisLease:
    """The sender lease of one bot in Redis, kept by a background task while entered."""

    def __init__(
        self, redis_url: str, key: str, *, lease: float = LEASE, clock: Clock = time.monotonic
    ) -> None:
        if lease <= 2 * MARGIN:
            raise ValueError(f"a lease must last longer than {2 * MARGIN} seconds")
        from redis.asyncio import Redis  # the `redis` extra, only where Redis is configured

        self.key, self.lease, self.clock = key, lease, clock
        self.token = uuid.uuid4().hex
        self._redis: Redis = Redis.from_url(redis_url)
        self._valid_until = -math.inf
        self._keeper: asyncio.Task[None] | None = None

    @property
    def held(self) -> bool:
        return self.clock() < self._valid_until

    async def __aenter__(self) -> RedisLease:
        await self._attempt()  # a lone sender starts at once
        self._keeper = asyncio.create_task(self._keep(), name="outbox-lease")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        try:
            await self._redis.eval(RELEASE, 1, self.key, self.token)  # type: ignore[misc]
        except Exception:  # it expires on its own
            log.warning("could not release the sender lease %s", self.key, exc_info=True)
        finally:
            self._valid_until = -math.inf
            await self._redis.aclose()

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3 if self.held else STANDBY_RETRY)
            await self._attempt()

    async def _attempt(self) -> None:
        asked = self.clock()
        was = self.held
        try:
            ours = await self._redis.eval(ACQUIRE, 1, self.key, self.token, int(self.lease * 1000))  # type: ignore[misc]
        except Exception:
            log.warning("cannot reach Redis for the sender lease %s", self.key, exc_info=True)
            ours = 0
        self._valid_until = asked + self.lease - MARGIN if ours else -math.inf
        if bool(ours) != was:
            log.info("outbox sender %s the lease %s", "took" if ours else "lost", self.key)


def for_bot(settings: Settings, bot_id: int) -> Leadership:
    """One lease per bot when Redis is configured (instances of other bots may share the Redis)."""
    if settings.redis_url:
        return RedisLease(settings.redis_url, f"portcrm:outbox-sender:{bot_id}")
    return Alone()
