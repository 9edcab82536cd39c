"""Telegram JSON objects built from the store: chats and the bot's messages as ``Message``."""

from __future__ import annotations

from typing import Any

from .errors import bad_request, forbidden
from .models import SentMessage
from .state import BotState, SandboxState


def chat_json(state: SandboxState, chat_id: int) -> dict[str, Any]:
    """``Chat`` object for a registered group or a user's private chat."""
    if chat_id in state.groups:
        return state.groups[chat_id].chat_json()
    return state.users[chat_id].chat_json()


def resolve_chat(state: SandboxState, bot: BotState, chat_id: int, *, sending: bool = True) -> bool:
    """Check the bot may act in this chat; returns True for groups.

    Telegram knows a private chat only once the user has started the bot, and refuses to deliver
    to users who blocked it.
    """
    if chat_id in state.groups:
        return True
    if chat_id not in state.users or chat_id not in bot.started:
        raise bad_request("chat not found")
    if sending and chat_id in bot.blocked:
        raise forbidden("bot was blocked by the user")
    return False


def inline_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Only inline keyboards are part of a ``Message``; an empty one counts as none."""
    if markup and markup.get("inline_keyboard"):
        return markup
    return None


def message_json(
    state: SandboxState, bot: BotState, message: SentMessage, *, with_reply: bool = True
) -> dict[str, Any]:
    """The ``Message`` Telegram returns for a bot message in its current state."""
    body: dict[str, Any] = {
        "message_id": message.message_id,
        "from": bot.bot.to_json(),
        "chat": chat_json(state, message.chat_id),
        "date": message.date,
    }
    entities = [dict(entity) for entity in message.entities]
    if message.kind == "text":
        body["text"] = message.text
        if entities:
            body["entities"] = entities
        if message.options.get("link_preview_options"):
            body["link_preview_options"] = message.options["link_preview_options"]
    else:
        if message.caption:
            body["caption"] = message.caption
            if entities:
                body["caption_entities"] = entities
        if message.file is not None:
            if message.kind == "photo":
                body["photo"] = message.file.photo_sizes()
            else:
                body[message.kind] = message.file.document_json()
    if message.media_group_id:
        body["media_group_id"] = message.media_group_id
    if message.message_thread_id is not None:
        body["message_thread_id"] = message.message_thread_id
        body["is_topic_message"] = True
    if (markup := inline_markup(message.reply_markup)) is not None:
        body["reply_markup"] = markup
    if message.edit_date is not None:
        body["edit_date"] = message.edit_date
    if with_reply and message.reply_to_message_id is not None:
        replied = reply_target_json(state, bot, message.chat_id, message.reply_to_message_id)
        if replied is not None:
            body["reply_to_message"] = replied
    return body


def reply_target_json(
    state: SandboxState, bot: BotState, chat_id: int, message_id: int
) -> dict[str, Any] | None:
    """The replied-to message, bot's or user's, without its own reply (Telegram nests one level)."""
    log = bot.chat(chat_id)
    if message_id in log.bot_messages:
        return message_json(state, bot, log.bot_messages[message_id], with_reply=False)
    incoming = log.incoming.get(message_id)
    if incoming is None:
        return None
    return {key: value for key, value in incoming.items() if key != "reply_to_message"}
