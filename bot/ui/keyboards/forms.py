"""The buttons of a paused form: on the note that paused it, and on the offer its command makes."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.forms import PausedFormAction, PausedStep


def paused_keyboard(form: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("▶️ Continue"), callback_data=PausedFormAction(step=PausedStep.CONTINUE, form=form))
    builder.button(text=_("🗑 Discard"), callback_data=PausedFormAction(step=PausedStep.DISCARD, form=form))
    return builder.as_markup()


def resume_or_restart_keyboard(form: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("▶️ Continue"), callback_data=PausedFormAction(step=PausedStep.CONTINUE, form=form))
    builder.button(
        text=_("🔄 Start over"), callback_data=PausedFormAction(step=PausedStep.START_OVER, form=form)
    )
    return builder.as_markup()
