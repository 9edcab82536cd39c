"""Keyboard builders: functions of plain values, so handlers stay one line per reply."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.common import LanguageChoice
from portcrm.settings import LOCALES

# Each language is named in itself, so a user who cannot read the current language still finds theirs.
LANGUAGE_NAMES = {"zh_CN": "简体中文", "zh_TW": "繁體中文", "en": "English"}


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for locale in LOCALES:
        mark = "✓ " if locale == current else ""
        builder.button(text=mark + LANGUAGE_NAMES[locale], callback_data=LanguageChoice(locale=locale))
    builder.adjust(3)
    return builder.as_markup()
