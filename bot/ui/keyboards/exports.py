"""/export: a button per export the staff member's roles allow."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.exports import ExportChoice
from portcrm.services.exports.staff import EXPORT_NAMES, StaffExport


def exports_keyboard(kinds: Sequence[StaffExport]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in kinds:
        builder.button(
            text=_("{export} (.xlsx)").format(export=_(EXPORT_NAMES[kind])),
            callback_data=ExportChoice(kind=kind),
        )
    builder.adjust(1)
    return builder.as_markup()
