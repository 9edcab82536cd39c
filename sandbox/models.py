"""Value objects the sandbox hands to programs: users, chats, bots, files, sent messages, calls.

They are frozen snapshots: a test can keep one and compare it with a later state, and the store
replaces, never mutates, a message when the bot edits it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


@dataclass(frozen=True)
class SandboxUser:
    """A Telegram user who can talk to the bot; their private chat has the same id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    phone: str | None = None
    is_bot: bool = False

    def to_json(self) -> dict[str, Any]:
        """Telegram ``User`` object."""
        return _drop_none(
            {
                "id": self.id,
                "is_bot": self.is_bot,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": self.language_code,
            }
        )

    def chat_json(self) -> dict[str, Any]:
        """Telegram ``Chat`` object of the private chat with this user."""
        return _drop_none(
            {
                "id": self.id,
                "type": "private",
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
            }
        )


@dataclass(frozen=True)
class SandboxGroup:
    """A group chat the bot is a member of (for example a staff alert group); a supergroup may be a forum
    (topics enabled)."""

    id: int
    title: str
    type: str = "group"
    is_forum: bool = False

    def chat_json(self) -> dict[str, Any]:
        """Telegram ``Chat`` object."""
        body: dict[str, Any] = {"id": self.id, "type": self.type, "title": self.title}
        if self.is_forum:
            body["is_forum"] = True
        return body


@dataclass(frozen=True)
class ForumTopic:
    """A topic of a forum supergroup, as created by ``createForumTopic`` (every one is kept, so a test can
    count them); ``message_thread_id`` is the id of the service message that opened it, as in Telegram."""

    chat_id: int
    message_thread_id: int
    name: str
    icon_color: int
    token: str  # the bot that created it
    closed: bool = False
    history: tuple[str, ...] = ()  # the names it had before each edit

    def to_json(self) -> dict[str, Any]:
        return {"message_thread_id": self.message_thread_id, "name": self.name, "icon_color": self.icon_color}


@dataclass(frozen=True)
class SandboxBot:
    """A bot account; its id is the number before ``:`` in the token."""

    token: str
    id: int
    username: str
    first_name: str

    def to_json(self) -> dict[str, Any]:
        """``User`` object of the bot, as in ``from`` of its messages."""
        return {"id": self.id, "is_bot": True, "first_name": self.first_name, "username": self.username}

    def me_json(self) -> dict[str, Any]:
        """getMe result, with the bot-only capability flags."""
        return {
            **self.to_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }


@dataclass(frozen=True)
class StoredFile:
    """A file known to the sandbox: uploaded by the bot or sent by a user."""

    file_id: str
    file_unique_id: str
    data: bytes = field(repr=False)
    file_path: str
    kind: str
    filename: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def photo_sizes(self) -> list[dict[str, Any]]:
        """``PhotoSize`` list (one size: the sandbox does not make thumbnails)."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width or 1,
                "height": self.height or 1,
                "file_size": self.size,
            }
        ]

    def document_json(self) -> dict[str, Any]:
        """``Document`` object."""
        return _drop_none(
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_name": self.filename,
                "mime_type": self.mime_type,
                "file_size": self.size,
            }
        )


Button = tuple[str, str | None]


@dataclass(frozen=True)
class SentMessage:
    """A bot message in its current state; ``history`` holds the versions before each edit."""

    token: str
    chat_id: int
    message_id: int
    date: int
    kind: str = "text"
    text: str | None = None
    html: str | None = None
    entities: tuple[dict[str, Any], ...] = ()
    reply_markup: dict[str, Any] | None = None
    caption: str | None = None
    file: StoredFile | None = None
    media_group_id: str | None = None
    reply_to_message_id: int | None = None
    message_thread_id: int | None = None  # the forum topic it was posted in
    edit_date: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    history: tuple[SentMessage, ...] = ()

    @property
    def edited(self) -> bool:
        return self.edit_date is not None

    @property
    def buttons(self) -> list[list[Button]]:
        """Inline keyboard as rows of ``(text, callback_data or url or other action value)``."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[(button["text"], _button_action(button)) for button in row] for row in rows]

    @property
    def keyboard(self) -> list[list[str]]:
        """Reply keyboard button labels (reply keyboards are not part of Telegram's Message)."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [[b if isinstance(b, str) else b["text"] for b in row] for row in rows]

    @property
    def data(self) -> bytes | None:
        return self.file.data if self.file else None

    @property
    def filename(self) -> str | None:
        return self.file.filename if self.file else None

    @property
    def mime_type(self) -> str | None:
        return self.file.mime_type if self.file else None

    def summary(self) -> dict[str, Any]:
        """JSON-friendly view for the HTTP control API and logs (file bytes left out)."""
        return _drop_none(
            {
                "chat_id": self.chat_id,
                "message_id": self.message_id,
                "date": self.date,
                "kind": self.kind,
                "text": self.text,
                "html": self.html,
                "entities": list(self.entities) or None,
                "caption": self.caption,
                "reply_markup": self.reply_markup,
                "edit_date": self.edit_date,
                "buttons": self.buttons or None,
                "filename": self.filename,
                "mime_type": self.mime_type,
                "file_size": self.file.size if self.file else None,
                "media_group_id": self.media_group_id,
            }
        )


def _button_action(button: dict[str, Any]) -> str | None:
    for key in ("callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat"):
        if button.get(key) is not None:
            return str(button[key])
    return None


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot said in answerCallbackQuery."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None = None
    cache_time: int | None = None
    after: float = 0.0  # seconds from the press to this answer, on the sandbox's clock


@dataclass
class ApiCall:
    """One Bot API request as the sandbox saw and answered it."""

    token: str
    method: str
    params: dict[str, Any]
    status: int | None = None
    ok: bool | None = None
    error: str | None = None
    result: Any = None
    retry_after: int | None = None
    injected: bool = False  # answered by a scheduled fault, not by the bot breaking a rule
    at: float = 0.0  # when it arrived, on the sandbox's clock
    html: str | None = None  # an error page answered instead of JSON, as Telegram's front servers do
    dropped: bool = False  # the connection was closed without an answer

    def response(self) -> dict[str, Any]:
        """The JSON body Telegram answers this call with."""
        if self.ok:
            return {"ok": True, "result": self.result}
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.error}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body

    @property
    def rejected(self) -> bool:
        """True when Telegram would have refused this call because of the bot's own request."""
        return self.ok is False and self.status is not None and not self.injected


@dataclass(frozen=True)
class Violation:
    """A request that arrived inside a retry_after window the sandbox had announced (see windows.py)."""

    call: ApiCall
    scope: str  # the chat id whose window it was, or "bot"
    at: float  # when the request arrived, on the sandbox's clock
    until: float  # when the window ends

    def __str__(self) -> str:
        return f"{self.call.method} {self.until - self.at:.2f}s inside the {self.scope} window"


@dataclass(frozen=True)
class Mark:
    """A point in the sandbox's activity log; wait for replies that happen after it."""

    seq: int
