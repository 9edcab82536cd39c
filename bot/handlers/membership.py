"""A user blocking or unblocking the bot (`my_chat_member` in their private chat): nothing to reply.

Telegram tells the bot when a user blocks it and when they return; what is meant for them meanwhile is
parked, and delivered in order once they are back.
"""

from __future__ import annotations

import datetime as dt

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.services.recipients.reachability import record_blocked, record_returned
from portcrm.settings import Settings


async def blocked(event: ChatMemberUpdated, session: AsyncSession, settings: Settings) -> None:
    await record_blocked(
        session,
        event.chat.id,
        reason="the user blocked the bot",
        today=dt.datetime.now(settings.tz).date(),
        default_locale=settings.default_locale,
        market_chat_id=settings.department_chats.get("market"),
    )


async def returned(event: ChatMemberUpdated, session: AsyncSession) -> None:
    await record_returned(session, event.chat.id)


def build_router() -> Router:
    router = Router(name=__name__)
    router.my_chat_member.filter(F.chat.type == ChatType.PRIVATE)
    router.my_chat_member.register(blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED))
    router.my_chat_member.register(returned, ChatMemberUpdatedFilter(member_status_changed=MEMBER))
    return router
