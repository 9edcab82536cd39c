"""What one message carries: a single notification, or for a group chat a digest of those due together.

Telegram allows a group about 20 messages a minute. A department chat can receive dozens of alerts at once
(a morning job, an import), so they go out as few messages, each joining as many notifications as fit in
Telegram's 4096 characters, rather than being throttled for minutes or refused with 429.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from bot.delivery.rates import is_group
from portcrm.messaging.outbox import Due

MESSAGE_LIMIT = 4096  # Telegram's, counted in UTF-16 code units of the text after parsing the HTML
SEPARATOR = "\n\n" + "\u2500" * 12 + "\n\n"
MAX_PER_DIGEST = 50  # also how many of one chat's notifications a pass loads


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Bot API message and the notifications it delivers (several only in a digest)."""

    chat_id: int
    notifications: tuple[Due, ...]
    text: str
    reply_markup: dict[str, Any] | None
    ids: list[int]  # the notifications' ids, asked for several times a send

    @property
    def attempts(self) -> int:
        return max(n.attempts for n in self.notifications)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def next_message(chat_id: int, queue: deque[Due], *, alone: AbstractSet[int] = frozenset()) -> Outgoing:
    """Take the next message's notifications off the front of a chat's queue (oldest first).

    Private chats get one message per notification. A group gets the longest run of plain notifications
    that fits one message; one with buttons goes alone, as the buttons belong to it, and so does one with
    an action (a topic's post, copy or title: bot/delivery/topics.py) and one named in `alone` (it was in a
    digest Telegram refused). Measuring the HTML source is safe: tags and entities only make it longer than
    what Telegram counts.
    """

    def joinable(notification: Due) -> bool:  # a desk row (an action) is its own request
        return (
            notification.reply_markup is None and notification.action is None and notification.id not in alone
        )

    first = queue.popleft()
    taken = [first]
    if is_group(chat_id) and joinable(first):
        length = utf16_len(first.text)
        while queue and len(taken) < MAX_PER_DIGEST and joinable(queue[0]):
            length += utf16_len(SEPARATOR) + utf16_len(queue[0].text)
            if length > MESSAGE_LIMIT:
                break
            taken.append(queue.popleft())
    return compose(chat_id, taken)


def compose(chat_id: int, notifications: list[Due]) -> Outgoing:
    """The message for these notifications (each one's HTML is complete, so joining them keeps it valid)."""
    return Outgoing(
        chat_id,
        tuple(notifications),
        SEPARATOR.join(n.text for n in notifications),
        notifications[0].reply_markup if len(notifications) == 1 else None,
        [n.id for n in notifications],
    )
