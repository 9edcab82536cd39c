"""How fast the sender may go: Telegram's flood limits as token buckets, on a clock tests can replace.

Telegram raises no error until a limit is broken and then answers 429, so the sender paces itself below
each limit (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
- overall: `settings.broadcast_rate` a second (about 30 allowed). The bucket holds one token, and room
  for one more that a late start leaves unspent: a send that starts late (after a claim or a reload) lets
  the next one go sooner instead of losing the time, and still no second holds more than rate + 2 sends,
  so interactive replies keep some room. An infinite rate, for benchmarks against a local sandbox, has no
  overall bucket;
- a private chat: one message a second, without the short burst Telegram tolerates (it is not a promise);
- a group: at most one a second, and a bucket of 3 refilled at 16 a minute, so any minute holds at most
  19 of the 20 allowed; the sender batches a group's notifications into digests, so this is rarely felt.

A chat's buckets are charged when its send has completed: Telegram handled the previous message before
answering, so the spacing it sees is at least the spacing counted here, whatever the network does.

When Telegram answered 429 to anyone in this process (a handler's reply, a notice, the sender itself), the
chat, or the whole bot, waits out the retry_after window: the pacing reads the windows the bot's session
keeps (bot/telegram/retry_after.py), so the sender never plans a send inside one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable

from bot.telegram.retry_after import RetryAfterWindows

Clock = Callable[[], float]

PRIVATE_PER_SECOND = 1.0
GROUP_PER_MINUTE = 16
GROUP_BURST = 3


def is_group(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; private chats are the user's positive id."""
    return chat_id < 0


class TokenBucket:
    """`rate` tokens a second, at most `capacity` held; spending into debt delays the next token.

    It starts full unless told how many `tokens` it starts with.
    """

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        *,
        clock: Clock = time.monotonic,
        tokens: float | None = None,
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a bucket needs a positive rate and room for one token")
        self.rate, self.capacity, self.clock = rate, capacity, clock
        self._tokens, self._updated = capacity if tokens is None else tokens, clock()

    def _refill(self) -> float:
        now = self.clock()
        tokens = self._tokens + (now - self._updated) * self.rate
        self._tokens = tokens if tokens < self.capacity else self.capacity  # min() costs a call per send
        self._updated = now
        return now

    def ready_at(self) -> float:
        """When one token will be there (now or earlier when it already is)."""
        now = self._refill()
        return now if self._tokens >= 1 else now + (1 - self._tokens) / self.rate

    def take(self) -> None:
        self._refill()
        self._tokens -= 1

    @property
    def full(self) -> bool:
        """A full bucket is the same as a new one, so it can be forgotten."""
        self._refill()
        return self._tokens >= self.capacity


class Pacing:
    """The overall bucket, each chat's limits, and the retry_after windows Telegram asked for.

    A chat's one a second is a bucket of one token, which is all in one number: when the chat may be sent
    to next. The sender remembers that number for every chat it sent to in the last second (thousands a
    second without an overall limit) as a plain float, not an object per chat for the collector to track;
    only groups have a second bucket, of their minute.
    """

    def __init__(
        self, rate: float, *, clock: Clock = time.monotonic, windows: RetryAfterWindows | None = None
    ) -> None:
        self.clock = clock
        self.overall = TokenBucket(rate, 2.0, clock=clock, tokens=1.0) if math.isfinite(rate) else None
        self._next: dict[int, float] = {}  # chat -> when its one a second lets it be sent to again
        self._minutes: dict[int, TokenBucket] = {}  # group -> its minute's bucket
        self.windows = windows or RetryAfterWindows(clock)

    @property
    def remembered(self) -> set[int]:
        """The chats whose limits are still felt (the others are as if never sent to)."""
        return set(self._next) | set(self._minutes)

    def chat_ready_at(self, chat_id: int) -> float:
        """When this chat may be sent to: its own limits and its (or the bot's) retry_after window."""
        now = self.clock()
        window = self.windows.until(chat_id)
        ready = window if window > now else now
        after = self._next.get(chat_id)
        if after is not None and after > ready:
            ready = after
        if chat_id < 0:  # is_group(), inlined: asked per chat and round
            minute = self._minutes.get(chat_id)
            if minute is not None:
                at = minute.ready_at()
                if at > ready:
                    ready = at
        return ready

    def ready_at(self, chat_id: int) -> float:
        """When a message to this chat may start: its own limits, the overall rate and any pause."""
        overall = self.overall.ready_at() if self.overall is not None else -math.inf
        return max(self.chat_ready_at(chat_id), overall)

    def next_chat(self, chat_ids: Iterable[int]) -> tuple[int, float] | None:
        """The chat that may be served first; ties go to the earliest given (the oldest waiting)."""
        best: tuple[int, float] | None = None
        for chat_id in chat_ids:
            ready = self.chat_ready_at(chat_id)
            if best is None or ready < best[1]:
                best = (chat_id, ready)
        return best

    def starting(self) -> None:
        """A send is about to start: it spends an overall token."""
        if self.overall is not None:
            self.overall.take()

    def finished(self, chat_id: int) -> None:
        """A send to this chat has completed (delivered or refused): it spends the chat's tokens."""
        now = self.clock()
        after = self._next.get(chat_id, now)
        self._next[chat_id] = (after if after > now else now) + 1 / PRIVATE_PER_SECOND
        if is_group(chat_id):
            minute = self._minutes.get(chat_id)
            if minute is None:
                minute = self._minutes[chat_id] = TokenBucket(
                    GROUP_PER_MINUTE / 60, GROUP_BURST, clock=self.clock
                )
            minute.take()

    @property
    def paused_until(self) -> float:
        """Until when nothing is sent to anyone: the bot's retry_after window."""
        return self.windows.bot_until

    def in_window(self, chat_id: int) -> bool:
        return self.windows.is_open(chat_id)

    def forget_idle(self) -> None:
        """Drop the limits of chats that have been quiet long enough to be as if never sent to."""
        now = self.clock()
        self._next = {chat_id: after for chat_id, after in self._next.items() if after > now}
        for chat_id in [c for c, minute in self._minutes.items() if minute.full]:
            del self._minutes[chat_id]
