"""Maps the Telegram user to a plain `Identity` (roles, linked customer, locale) before any handler runs.

A refusal is answered inside the handler's context (bot/handlers/errors.py), so in the language the user
chose. aiogram's error observer does not see this identity: `inbox.HandleOnce` hands each attempt a copy
of the update's data, so an apology for a fault is in the language of the user's Telegram app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, User

from portcrm.audit import Actor, set_actor
from portcrm.services.identity.users import TelegramProfile, identify
from portcrm.settings import Locale


class IdentityMiddleware(BaseMiddleware):
    def __init__(self, default_locale: Locale) -> None:
        self.default_locale = default_locale

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return None  # channel posts and other bots' traffic are not for us
        session = data["session"]
        profile = TelegramProfile(user.id, user.first_name, user.username, user.language_code)
        chat: Chat | None = data.get("event_chat")
        in_private = chat is None or chat.type == ChatType.PRIVATE
        identity = await identify(session, profile, self.default_locale, in_private=in_private)
        label = f"staff:{identity.staff_id}" if identity.is_staff else f"telegram:{user.id}"
        set_actor(session, Actor(label=label, source="chat", staff_id=identity.staff_id))
        data["identity"] = identity
        return await handler(event, data)
