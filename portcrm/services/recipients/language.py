"""The rule shared by every service that writes to someone: which language they read."""

from __future__ import annotations

from portcrm.i18n import resolve_locale
from portcrm.models import ChatUser
from portcrm.settings import Locale


def recipient_locale(chat_user: ChatUser | None, saved: str | None, default: Locale) -> Locale:
    """The language the recipient reads the bot in: chosen in chat, else the archive's, else Telegram's."""
    chosen = (chat_user.locale if chat_user else None) or saved
    return resolve_locale(chosen, chat_user.telegram_language if chat_user else None, default)
