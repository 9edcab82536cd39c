"""What users do, turned into the updates Telegram would send the bot.

A message, a shared contact, a photo or a file, a press on an inline button, blocking the bot:
each builds Telegram's JSON and queues it for getUpdates or the webhook.
"""

from __future__ import annotations

import re
from typing import Any

from .limits import utf16_len
from .media import guess_mime, image_mime, image_size
from .models import ForumTopic, SandboxGroup, SandboxUser, SentMessage
from .payloads import message_json
from .state import BotState, SandboxState

_COMMAND_RE = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")
ButtonRef = str | int | tuple[int, int]


def command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities as Telegram detects them in users' text (``/cmd``, ``/cmd@bot``)."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
        for m in _COMMAND_RE.finditer(text)
    ]


class Injector:
    """Builds and queues user-side updates for a bot."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def bot(self, token: str) -> BotState:
        try:
            return self.state.bots[token]
        except KeyError:
            raise LookupError(f"no bot with token {token!r}; call add_bot() first") from None

    def _chat(self, user: SandboxUser, chat: SandboxGroup | None) -> dict[str, Any]:
        if chat is None:
            return user.chat_json()
        if chat.id not in self.state.groups:
            raise LookupError(f"group {chat.id} is not registered; call add_group() first")
        return chat.chat_json()

    def message(
        self,
        token: str,
        user: SandboxUser,
        content: dict[str, Any],
        *,
        chat: SandboxGroup | None = None,
        reply_to: int | None = None,
        thread: int | None = None,
    ) -> dict[str, Any]:
        """Queue a ``message`` update from ``user``; a private message also starts the bot. In a forum,
        `thread` is the topic it is posted in: it replies to the topic's opening message unless it replies
        to another one, as Telegram shows it."""
        bot = self.bot(token)
        if chat is None and user.id in bot.blocked:
            raise PermissionError(f"user {user.id} has blocked the bot; call unblock() first")
        self.state.users.setdefault(user.id, user)
        chat_body = self._chat(user, chat)
        if chat is None:
            bot.started.add(user.id)
        log = bot.chat(chat_body["id"])
        body: dict[str, Any] = {
            "message_id": log.allocate_id(),
            "from": user.to_json(),
            "chat": chat_body,
            "date": self.state.now(),
            **content,
        }
        if reply_to is not None:
            replied = log.bot_messages.get(reply_to)
            target = (
                message_json(self.state, bot, replied, with_reply=False)
                if replied
                else log.incoming.get(reply_to)
            )
            if target is None:
                raise LookupError(f"no message {reply_to} in chat {chat_body['id']} to reply to")
            body["reply_to_message"] = target
        if thread is not None:
            topic = self.state.topics.get(chat_body["id"], {}).get(thread)
            if topic is None:
                raise LookupError(f"no topic {thread} in chat {chat_body['id']}")
            body["message_thread_id"], body["is_topic_message"] = thread, True
            body.setdefault("reply_to_message", self._topic_opening(bot, chat_body, topic))
        log.incoming[body["message_id"]] = body
        return self.state.enqueue(token, {"message": body})

    def _topic_opening(self, bot: BotState, chat: dict[str, Any], topic: ForumTopic) -> dict[str, Any]:
        """The service message that opened a topic (Telegram's ``forum_topic_created``)."""
        return {
            "message_id": topic.message_thread_id,
            "from": bot.bot.to_json(),
            "chat": chat,
            "date": self.state.now(),
            "message_thread_id": topic.message_thread_id,
            "is_topic_message": True,
            "forum_topic_created": {"name": topic.name, "icon_color": topic.icon_color},
        }

    def text(self, token: str, user: SandboxUser, text: str, **kwargs: Any) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if entities := command_entities(text):
            content["entities"] = entities
        return self.message(token, user, content, **kwargs)

    def contact(
        self,
        token: str,
        user: SandboxUser,
        phone_number: str,
        *,
        contact_user_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        forwarded_from: SandboxUser | None = None,
    ) -> dict[str, Any]:
        contact = {"phone_number": phone_number, "first_name": first_name or user.first_name}
        if last_name is not None:
            contact["last_name"] = last_name
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        content: dict[str, Any] = {"contact": contact}
        if forwarded_from is not None:
            content["forward_origin"] = {
                "type": "user",
                "date": self.state.now(),
                "sender_user": forwarded_from.to_json(),
            }
        return self.message(token, user, content)

    def location(
        self, token: str, user: SandboxUser, latitude: float, longitude: float, **kwargs: Any
    ) -> dict[str, Any]:
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError(f"no such place: latitude {latitude}, longitude {longitude}")
        return self.message(
            token, user, {"location": {"latitude": latitude, "longitude": longitude}}, **kwargs
        )

    def photo(
        self, token: str, user: SandboxUser, data: bytes, caption: str | None, **kwargs: Any
    ) -> dict[str, Any]:
        width, height = image_size(data) or (1, 1)
        stored = self.state.store_file(data, "photo", mime_type=image_mime(data), width=width, height=height)
        content: dict[str, Any] = {"photo": stored.photo_sizes()}
        if caption:
            content["caption"] = caption
        return self.message(token, user, content, **kwargs)

    def document(
        self,
        token: str,
        user: SandboxUser,
        data: bytes,
        filename: str,
        mime_type: str | None,
        caption: str | None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        stored = self.state.store_file(
            data, "document", filename=filename, mime_type=guess_mime(filename, mime_type)
        )
        content: dict[str, Any] = {"document": stored.document_json()}
        if caption:
            content["caption"] = caption
        return self.message(token, user, content, **kwargs)

    def callback(
        self, token: str, user: SandboxUser, message: SentMessage | int, data: str, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Queue a ``callback_query`` for a press on ``message`` carrying ``data`` (any string)."""
        bot = self.bot(token)
        current = self.current(bot, user, message, chat_id)
        query_id = self.state.new_callback_id()
        bot.open_callbacks[query_id] = self.state.clock()
        bot.callback_chats[query_id] = current.chat_id
        return self.state.enqueue(
            token,
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_json(),
                    "message": message_json(self.state, bot, current),
                    "chat_instance": str(abs(bot.bot.id * 1_000_003 + current.chat_id)),
                    "data": data,
                }
            },
        )

    def current(
        self, bot: BotState, user: SandboxUser, message: SentMessage | int, chat_id: int | None
    ) -> SentMessage:
        """The message as it is now (a user always sees the latest keyboard)."""
        if isinstance(message, SentMessage):
            chat_id, message_id = message.chat_id, message.message_id
        else:
            chat_id, message_id = (user.id if chat_id is None else chat_id), message
        current = bot.chat(chat_id).bot_messages.get(message_id)
        if current is None:
            raise LookupError(f"bot message {message_id} does not exist (any more) in chat {chat_id}")
        return current

    def member_status(self, token: str, user: SandboxUser, *, blocked: bool) -> dict[str, Any]:
        """``my_chat_member`` update Telegram sends when a user blocks or unblocks the bot."""
        bot = self.bot(token)
        old, new = ("member", "kicked") if blocked else ("kicked", "member")

        def member(status: str) -> dict[str, Any]:
            body: dict[str, Any] = {"status": status, "user": bot.bot.to_json()}
            return {**body, "until_date": 0} if status == "kicked" else body

        return self.state.enqueue(
            token,
            {
                "my_chat_member": {
                    "chat": user.chat_json(),
                    "from": user.to_json(),
                    "date": self.state.now(),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            },
        )


def find_button(message: SentMessage, button: ButtonRef) -> tuple[str, str | None]:
    """A button by label, ``(row, column)`` or flat index; raises LookupError listing what exists."""
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    flat = [b for row in rows for b in row]
    labels = [b["text"] for b in flat]
    found: dict[str, Any] | None = None
    if isinstance(button, str):
        found = next((b for b in flat if b["text"] == button), None)
    elif isinstance(button, tuple):
        row, column = button
        found = rows[row][column] if 0 <= row < len(rows) and 0 <= column < len(rows[row]) else None
    elif 0 <= button < len(flat):
        found = flat[button]
    if found is None:
        raise LookupError(f"no inline button {button!r} on message {message.message_id}; buttons: {labels}")
    return found["text"], found.get("callback_data")
