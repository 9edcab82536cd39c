"""In-memory store of the sandbox: bots, users, chats, messages, update queues, files, calls.

Everything runs on one event loop, so plain dicts suffice; :class:`Signal` wakes long polls and
test waiters when something changes, without polling loops.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .flood import FloodControl
from .models import (
    ApiCall,
    CallbackAnswer,
    ForumTopic,
    SandboxBot,
    SandboxGroup,
    SandboxUser,
    SentMessage,
    StoredFile,
)
from .windows import RetryAfterWindows

T = TypeVar("T")

#: Update types Telegram leaves out unless a bot asks for them in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Signal:
    """Broadcast "something changed": waiters re-check their condition after each fire."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> bool:
        """Wait for the next fire; False if ``seconds`` pass first."""
        try:
            await asyncio.wait_for(self._event.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def wait_until(self, check: Callable[[], T | None], seconds: float) -> T | None:
        """Return ``check()`` once it is not None, or None after ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            event = self._event
            result = check()
            remaining = deadline - time.monotonic()
            if result is not None or remaining <= 0:
                return result
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return check()


@dataclass
class ChatLog:
    """One bot's view of one chat: message ids are counted per chat, as in private chats."""

    next_message_id: int = 1
    bot_messages: dict[int, SentMessage] = field(default_factory=dict)
    incoming: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted: list[SentMessage] = field(default_factory=list)

    def allocate_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class BotState:
    """Per-bot state: its update queue, chats, webhook, commands and open callback queries."""

    bot: SandboxBot
    updates: list[dict[str, Any]] = field(default_factory=list)
    allowed_updates: frozenset[str] | None = None
    started: set[int] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)
    chats: dict[int, ChatLog] = field(default_factory=dict)
    webhook: Webhook | None = None
    commands: dict[tuple[str, int | None, int | None, str], list[dict[str, str]]] = field(
        default_factory=dict
    )
    open_callbacks: dict[str, float] = field(default_factory=dict)  # query id -> when it was pressed
    callback_chats: dict[str, int] = field(default_factory=dict)  # query id -> the chat it was pressed in
    poll_generation: int = 0
    delivered_up_to: int = 0
    signal: Signal = field(default_factory=Signal)

    def chat(self, chat_id: int) -> ChatLog:
        return self.chats.setdefault(chat_id, ChatLog())

    def is_allowed(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self.allowed_updates is None:
            return kind not in OPT_IN_UPDATES
        return kind in self.allowed_updates

    def pending(self, offset: int | None = None) -> list[dict[str, Any]]:
        """Confirm updates below ``offset`` (negative: keep the last -offset) and drop unwanted ones."""
        if offset is not None and offset < 0:
            del self.updates[: max(0, len(self.updates) + offset)]
        elif offset is not None:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        self.updates = [u for u in self.updates if self.is_allowed(u)]
        return self.updates


@dataclass(frozen=True)
class Activity:
    """A change the bot made in a chat (``send``/``edit``/``delete``), in sandbox order."""

    seq: int
    token: str
    chat_id: int
    message_id: int
    action: str
    at: float = field(default_factory=time.monotonic)  # when it reached the sandbox: benchmarks time replies


class SandboxState:
    """The whole fake Telegram: shared by the HTTP handlers and the program-facing API."""

    def __init__(self, *, strict_html: bool = True, flood_control: bool = False) -> None:
        self.strict_html = strict_html
        self.flood = FloodControl(enabled=flood_control)
        self.windows = RetryAfterWindows(clock=self.clock)
        self.webhook_listener: Callable[[BotState], None] | None = None
        self.bots: dict[str, BotState] = {}
        self.users: dict[int, SandboxUser] = {}
        self.groups: dict[int, SandboxGroup] = {}
        # group -> member id (a user's or a bot's) -> ChatMember JSON of an administrator or the creator
        self.admins: dict[int, dict[int, dict[str, Any]]] = {}
        self.topics: dict[int, dict[int, ForumTopic]] = {}  # group -> message_thread_id -> current state
        self.created_topics: list[ForumTopic] = []  # every createForumTopic that succeeded, in order
        self.files: dict[str, StoredFile] = {}
        self.calls: list[ApiCall] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.activity: list[Activity] = []
        self.update_marks: dict[int, int] = {}
        self.changed = Signal()
        self.closing = False
        self.last_call_time = time.monotonic()
        self.calls_in_flight = 0
        # Telegram's update ids start at some positive number, not at 1: a bot that meets a new sandbox
        # over an old database must not take the new updates for ones it handled before.
        self._update_ids = itertools.count(random.randrange(10**8, 9 * 10**8))
        self._file_numbers = itertools.count(1)
        self._callback_ids = itertools.count(int(time.time()) * 1000)

    def now(self) -> int:
        return int(time.time())

    def clock(self) -> float:
        """The sandbox's clock for limits, retry_after windows and callback ages: the flood control's,
        which a test may replace."""
        return self.flood.clock()

    def seq(self) -> int:
        return len(self.activity)

    def enqueue(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for a bot; update ids are unique across the sandbox (and rising per bot)."""
        update = {"update_id": next(self._update_ids), **body}
        state = self.bots[token]
        state.updates.append(update)
        self.update_marks[update["update_id"]] = self.seq()
        state.signal.fire()
        self.changed.fire()
        return update

    def record(self, message: SentMessage, action: str) -> None:
        """Log a bot-side change so ``wait_for_reply`` can find it."""
        self.activity.append(
            Activity(self.seq() + 1, message.token, message.chat_id, message.message_id, action)
        )
        self.changed.fire()

    def store_file(self, data: bytes, kind: str, **details: Any) -> StoredFile:
        """Keep file bytes under a fresh file_id and a download path like Telegram's."""
        number = next(self._file_numbers)
        folder = "photos" if kind == "photo" else "documents"
        suffix = (
            (details.get("filename") or "").rpartition(".")[2]
            if "." in (details.get("filename") or "")
            else ""
        )
        path = f"{folder}/file_{number}" + (f".{suffix}" if suffix else "")
        stored = StoredFile(
            file_id=f"SBX{kind[:3].upper()}{number}_{secrets.token_urlsafe(12)}",
            file_unique_id=f"U{number}{secrets.token_hex(4)}",
            data=data,
            file_path=path,
            kind=kind,
            **details,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == path), None)

    def new_callback_id(self) -> str:
        return str(next(self._callback_ids))
