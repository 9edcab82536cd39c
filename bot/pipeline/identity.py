"""Maps the Telegram user to a plain `Identity` (roles, linked customer, locale) before any handler runs.

Identities are kept between updates (portcrm/services/identity/known.py) and checked against the identity
generation, which the inbox reads as it takes updates (inbox.py) and this middleware reads after an update
that wrote something: a handler that changed a link, a role or a language is seen by the next update.

A refusal is answered inside the handler's context (bot/handlers/errors.py), so in the language the user
chose. aiogram's error observer does not see this identity: `inbox.HandleOnce` hands each attempt a copy
of the update's data, so an apology for a fault is in the language of the user's Telegram app.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.services.identity.known import KnownIdentities
from portcrm.services.identity.users import TelegramProfile
from portcrm.settings import Locale
from portcrm.storage.db import current_writes
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)


class IdentityMiddleware(BaseMiddleware):
    def __init__(self, default_locale: Locale, known: KnownIdentities) -> None:
        self.default_locale, self.known = default_locale, known

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
        identity = await self.known.identify(session, profile, self.default_locale, in_private=in_private)
        label = f"staff:{identity.staff_id}" if identity.is_staff else f"telegram:{user.id}"
        set_actor(session, Actor(label=label, source="chat", staff_id=identity.staff_id))
        data["identity"] = identity
        try:
            return await handler(event, data)
        finally:
            writes = current_writes()  # counted from WritesFromHere: what the handler committed
            if writes is not None and writes.committed:
                await self._observe(session)

    async def _observe(self, session: AsyncSession) -> None:
        try:
            async with transaction(session):
                await self.known.observe(session)
        except Exception as error:  # what is kept cannot be trusted now; it is read again
            log.warning("identity generation not read after a write: %r", error)
            self.known.forget_all()
