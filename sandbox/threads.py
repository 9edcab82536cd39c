"""Forum topics as the sending methods see them: which topic a message goes to, and who may post there.

A forum is a supergroup with topics on. ``message_thread_id`` names a topic by the id of the service message
that opened it; a closed topic takes messages only from administrators who can manage topics.
"""

from __future__ import annotations

from typing import Any

from .errors import bad_request
from .params import Params
from .state import BotState, SandboxState

ADMIN_RIGHTS = (
    "can_be_edited",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
    "can_pin_messages",
    "can_manage_topics",
)


def is_forum(state: SandboxState, chat_id: int) -> bool:
    group = state.groups.get(chat_id)
    return group is not None and group.type == "supergroup" and group.is_forum


def can_manage_topics(state: SandboxState, chat_id: int, member_id: int) -> bool:
    rights = state.admins.get(chat_id, {}).get(member_id)
    return rights is not None and (rights["status"] == "creator" or bool(rights.get("can_manage_topics")))


def read_thread(state: SandboxState, bot: BotState, chat_id: int, params: Params) -> int | None:
    """The topic a message is sent to, checked: it exists in this forum, and is open unless the bot may
    manage topics."""
    thread = params.integer("message_thread_id")
    if thread is None:
        return None
    topic = state.topics.get(chat_id, {}).get(thread) if is_forum(state, chat_id) else None
    if topic is None:
        raise bad_request("message thread not found")
    if topic.closed and not can_manage_topics(state, chat_id, bot.bot.id):
        raise bad_request("TOPIC_CLOSED")
    return thread


def administrator_json(member: dict[str, Any], rights: dict[str, Any]) -> dict[str, Any]:
    """A ``ChatMemberAdministrator``/``ChatMemberOwner`` for this member's stored rights."""
    if rights["status"] == "creator":
        return {"status": "creator", "user": member, "is_anonymous": False}
    body: dict[str, Any] = {"status": "administrator", "user": member, "is_anonymous": False}
    body.update({right: bool(rights.get(right, False)) for right in ADMIN_RIGHTS})
    return body
