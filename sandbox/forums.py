"""Bot API methods of forum supergroups: topics, members' rights, and copying a message (into a topic).

Like Telegram, ``createForumTopic`` is not idempotent: two calls make two topics. The sandbox keeps every
topic it created (``state.created_topics``) so a test can count them. Creating, editing, closing and
reopening a topic count against the group's 20 messages a minute (Telegram does not say they are exempt:
the sandbox takes the strict reading).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .errors import bad_request
from .media import caption_of
from .messaging import deliver, read_markup, read_options
from .models import ForumTopic, SentMessage
from .params import Params
from .payloads import resolve_chat
from .state import BotState, SandboxState
from .threads import administrator_json, can_manage_topics, is_forum, read_thread

MAX_TOPIC_NAME = 128
TOPIC_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)
NOT_MODIFIED = "TOPIC_NOT_MODIFIED"


def _forum(state: SandboxState, bot: BotState, params: Params) -> int:
    """The forum named by chat_id, where the bot may manage topics."""
    chat_id = params.chat_id()
    resolve_chat(state, bot, chat_id)
    if not is_forum(state, chat_id):
        raise bad_request("the chat is not a forum")
    if not can_manage_topics(state, chat_id, bot.bot.id):
        raise bad_request("not enough rights to manage topics")
    return chat_id


def _name(params: Params, *, required: bool) -> str | None:
    name = params.text("name")
    if name is None:
        if required:
            raise bad_request("TOPIC_TITLE_EMPTY")
        return None
    if not name.strip() or len(name) > MAX_TOPIC_NAME:
        raise bad_request("TOPIC_TITLE_INVALID" if name.strip() else "TOPIC_TITLE_EMPTY")
    return name


def _topic(state: SandboxState, chat_id: int, params: Params) -> ForumTopic:
    thread = params.integer("message_thread_id", required=True)
    topic = state.topics.get(chat_id, {}).get(thread or 0)
    if topic is None:
        raise bad_request("message thread not found")
    return topic


def _store(state: SandboxState, topic: ForumTopic) -> dict[str, Any]:
    state.topics.setdefault(topic.chat_id, {})[topic.message_thread_id] = topic
    state.changed.fire()
    return topic.to_json()


def create_forum_topic(state: SandboxState, bot: BotState, params: Params) -> dict[str, Any]:
    chat_id = _forum(state, bot, params)
    name = _name(params, required=True)
    assert name is not None
    color = params.integer("icon_color", default=TOPIC_COLORS[0])
    if color not in TOPIC_COLORS:
        raise bad_request("TOPIC_COLOR_INVALID")
    state.flood.check(bot.bot.token, chat_id, is_group=True)
    thread = bot.chat(chat_id).allocate_id()  # the id of the "topic created" service message
    topic = ForumTopic(chat_id, thread, name, color, bot.bot.token)
    state.created_topics.append(topic)
    return _store(state, topic)


def edit_forum_topic(state: SandboxState, bot: BotState, params: Params) -> bool:
    chat_id = _forum(state, bot, params)
    topic = _topic(state, chat_id, params)
    name = _name(params, required=False)
    if name is None or name == topic.name:
        raise bad_request(NOT_MODIFIED)
    state.flood.check(bot.bot.token, chat_id, is_group=True)
    _store(state, dataclasses.replace(topic, name=name, history=(*topic.history, topic.name)))
    return True


def _set_closed(state: SandboxState, bot: BotState, params: Params, closed: bool) -> bool:
    chat_id = _forum(state, bot, params)
    topic = _topic(state, chat_id, params)
    if topic.closed == closed:
        raise bad_request(NOT_MODIFIED)
    state.flood.check(bot.bot.token, chat_id, is_group=True)
    _store(state, dataclasses.replace(topic, closed=closed))
    return True


def close_forum_topic(state: SandboxState, bot: BotState, params: Params) -> bool:
    return _set_closed(state, bot, params, True)


def reopen_forum_topic(state: SandboxState, bot: BotState, params: Params) -> bool:
    return _set_closed(state, bot, params, False)


def get_chat_member(state: SandboxState, bot: BotState, params: Params) -> dict[str, Any]:
    chat_id = params.chat_id()
    resolve_chat(state, bot, chat_id, sending=False)
    user_id = params.integer("user_id", required=True)
    if user_id == bot.bot.id:
        member = bot.bot.to_json()
    elif user_id in state.users:
        member = state.users[user_id].to_json()
    else:
        raise bad_request("user not found")
    rights = state.admins.get(chat_id, {}).get(user_id)
    if rights is not None:
        return administrator_json(member, rights)
    return {"status": "member", "user": member}


def get_chat_administrators(state: SandboxState, bot: BotState, params: Params) -> list[dict[str, Any]]:
    chat_id = params.chat_id()
    resolve_chat(state, bot, chat_id, sending=False)
    found = []
    for member_id, rights in state.admins.get(chat_id, {}).items():
        member = bot.bot.to_json() if member_id == bot.bot.id else state.users[member_id].to_json()
        found.append(administrator_json(member, rights))
    return found


def copy_message(state: SandboxState, bot: BotState, params: Params) -> dict[str, int]:
    """A copy of a message the bot can see (its own, or one it received), without a link to the original."""
    chat_id = params.chat_id()
    is_group = resolve_chat(state, bot, chat_id)
    from_chat = params.integer("from_chat_id", required=True)
    assert from_chat is not None
    resolve_chat(state, bot, from_chat, sending=False)
    message_id = params.integer("message_id", required=True)
    source = bot.chat(from_chat)
    original = source.bot_messages.get(message_id or 0)
    incoming = source.incoming.get(message_id or 0)
    if original is None and incoming is None:
        raise bad_request("message to copy not found")
    thread = read_thread(state, bot, chat_id, params)
    kind, text, caption, file = _content(state, original, incoming)
    html, entities = None, ()
    if params.has("caption"):
        if kind == "text":
            raise bad_request("there is no caption in the message")  # the sandbox keeps texts as they are
        formatted = caption_of(state, params)
        if formatted is not None:
            caption, html, entities = formatted.text or None, formatted.raw, formatted.entities
    markup = read_markup(params)
    state.flood.check(bot.bot.token, chat_id, is_group=is_group)
    message = SentMessage(
        token=bot.bot.token,
        chat_id=chat_id,
        message_id=bot.chat(chat_id).allocate_id(),
        date=state.now(),
        kind=kind,
        text=text,
        html=html,
        entities=entities,
        caption=caption,
        file=file,
        reply_markup=markup,
        message_thread_id=thread,
        options=read_options(params),
    )
    deliver(state, bot, message)
    return {"message_id": message.message_id}


def _content(
    state: SandboxState, original: SentMessage | None, incoming: dict[str, Any] | None
) -> tuple[str, str | None, str | None, Any]:
    """(kind, text, caption, file) of the message to copy."""
    if original is not None:
        return original.kind, original.text, original.caption, original.file
    assert incoming is not None
    caption = incoming.get("caption")
    if "photo" in incoming:
        return "photo", None, caption, state.files[incoming["photo"][-1]["file_id"]]
    if "document" in incoming:
        return "document", None, caption, state.files[incoming["document"]["file_id"]]
    if "text" in incoming:
        return "text", incoming["text"], None, None
    raise bad_request("the sandbox copies texts, photos and documents only")


METHODS = {
    "createforumtopic": create_forum_topic,
    "editforumtopic": edit_forum_topic,
    "closeforumtopic": close_forum_topic,
    "reopenforumtopic": reopen_forum_topic,
    "getchatmember": get_chat_member,
    "getchatadministrators": get_chat_administrators,
    "copymessage": copy_message,
}
