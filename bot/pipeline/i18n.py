"""aiogram's gettext i18n over `locales/`, choosing the locale from the user's `Identity`."""

from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n, I18nMiddleware

from portcrm.i18n import DOMAIN, compile_catalogs, resolve_locale
from portcrm.settings import Settings


def build_i18n(settings: Settings) -> I18n:
    compile_catalogs(settings.locales_dir)  # I18n loads only .mo files
    return I18n(path=settings.locales_dir, default_locale=settings.default_locale, domain=DOMAIN)


class IdentityI18nMiddleware(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        identity = data.get("identity")
        if identity is not None:
            return identity.locale
        user = data.get("event_from_user")
        return resolve_locale(None, user.language_code if user else None, self.i18n.default_locale)  # type: ignore[arg-type]
