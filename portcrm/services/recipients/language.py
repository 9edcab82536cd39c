"""Rules shared by every service that writes to someone: which language, and what a refusal leaves behind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.i18n import resolve_locale
from portcrm.models import ChatUser
from portcrm.settings import Locale

P = ParamSpec("P")
T = TypeVar("T")


def recipient_locale(chat_user: ChatUser | None, saved: str | None, default: Locale) -> Locale:
    """The language the recipient reads the bot in: chosen in chat, else the archive's, else Telegram's."""
    chosen = (chat_user.locale if chat_user else None) or saved
    return resolve_locale(chosen, chat_user.telegram_language if chat_user else None, default)


def rolls_back(
    fn: Callable[Concatenate[AsyncSession, P], Awaitable[T]],
) -> Callable[Concatenate[AsyncSession, P], Awaitable[T]]:
    """A refused step leaves nothing behind, and frees SQLite's write lock before the edge replies."""

    @wraps(fn)
    async def wrapper(session: AsyncSession, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await fn(session, *args, **kwargs)
        except Exception:
            await session.rollback()
            raise

    return wrapper
