"""The complaint desk's forum supergroup: /desk_attach, and staff writing in a complaint's topic.

Every message in a forum supergroup stops here, so nothing below (the fallback's "I didn't understand")
ever answers in the group: a member who is not staff, or anyone writing outside a complaint's topic, gets
silence. In a complaint's topic a staff member's text reaches the customer signed with their name; one
starting with #note or // (or a reply to such a note) stays internal. Buttons pressed in the group go to
the staff's usual handlers, which check each press (bot/handlers/staff/complaint_actions.py).
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.errors import N_, Forbidden
from portcrm.services.complaints import relay, topics
from portcrm.services.complaints.desk import DeskUser
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings

ADMINS = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.CREATOR)


class AttachRefused(Forbidden):
    message = N_(
        "Only a staff member with the admin role who is also an administrator of this group can attach it."
    )


async def attach_here(
    message: Message, bot: Bot, session: AsyncSession, identity: Identity | None = None
) -> None:
    if identity is None or Role.ADMIN not in identity.roles:
        raise AttachRefused()
    assert message.from_user is not None
    member = await bot.get_chat_member(message.chat.id, message.from_user.id)
    if member.status not in ADMINS:
        raise AttachRefused()
    await check_forum(bot, message.chat.id)
    queued = await topics.attach(session, message.chat.id, f"staff:{identity.staff_id}")
    await message.answer(
        _("This group is now the complaint desk. Open complaints getting a topic: {count}.").format(
            count=queued
        )
    )


async def check_forum(bot: Bot, chat_id: int) -> None:
    """A supergroup with topics on, where the bot is an administrator that may manage topics."""
    chat = await bot.get_chat(chat_id)
    if chat.type != ChatType.SUPERGROUP or not chat.is_forum:
        raise topics.NotAForum()
    me = await bot.get_chat_member(chat_id, bot.id)
    if me.status != ChatMemberStatus.CREATOR and not getattr(me, "can_manage_topics", False):
        raise topics.CannotManageTopics()


async def in_topic(
    message: Message, session: AsyncSession, settings: Settings, identity: Identity | None = None
) -> None:
    if identity is None or not identity.is_staff or message.message_thread_id is None:
        return  # not staff: nothing happens, and nothing is said
    complaint_id = await topics.complaint_in_topic(session, message.chat.id, message.message_thread_id)
    if complaint_id is None:
        return
    assert identity.staff_id is not None
    user = DeskUser(identity.staff_id, identity.roles)
    text = message.text if message.text is not None else message.caption
    if topics.is_note(text) or _replies_to_note(message):
        note = topics.note_text(text or "") or _("(a photo or file)")
        await relay.staff_note(session, complaint_id, user, note)
        return
    if message.photo or message.document:
        file = await _file_bytes(message) if await relay.mails_the_customer(session, complaint_id) else None
        await relay.staff_file(
            session,
            complaint_id,
            user,
            message.chat.id,
            message.message_id,
            message.caption,
            settings=settings,
            file=file,
        )
    elif message.text is not None:
        await relay.staff_reply(
            session,
            complaint_id,
            user,
            message.text,
            source=f"{message.chat.id}:{message.message_id}",
            settings=settings,
        )


async def _file_bytes(message: Message) -> relay.FileBytes:
    """A photo or document's bytes from Telegram, for a customer answered by mail."""
    assert message.bot is not None
    if message.photo:
        photo = message.photo[-1]  # the largest size
        file_id, name, mime = photo.file_id, f"photo-{message.message_id}.jpg", "image/jpeg"
    else:
        assert message.document is not None
        document = message.document
        file_id = document.file_id
        name = document.file_name or f"file-{message.message_id}"
        mime = document.mime_type or "application/octet-stream"
    content = await message.bot.download(file_id)
    assert content is not None  # no destination given: the bytes come back
    return relay.FileBytes(name, mime, content.read())


def _replies_to_note(message: Message) -> bool:
    """A reply to a staff member's note (not to the topic's opening, which every message replies to)."""
    replied = message.reply_to_message
    if replied is None or replied.forum_topic_created is not None:
        return False
    return topics.is_note(replied.text if replied.text is not None else replied.caption)


async def ignore(message: Message) -> None:
    """Anything else in a forum supergroup: silence."""


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == ChatType.SUPERGROUP, F.chat.is_forum)
    router.message.register(attach_here, Command("desk_attach"))
    router.message.register(in_topic, F.is_topic_message)
    router.message.register(ignore)
    return router
