"""The hotline form's buttons: who called, and submit or cancel."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.complaints import DraftAction, StaffComplaintCard
from bot.ui.callbacks.hotline import PhoneCaller, PhoneDraftStep
from portcrm.labels import person_name
from portcrm.services.complaints.hotline import Caller


def callers_keyboard(callers: tuple[Caller, ...]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for caller in callers:
        label = person_name(caller.name, _)
        if caller.title:
            label = f"{label} · {caller.title}"
        builder.button(text=label[:60], callback_data=PhoneCaller(contact_id=caller.contact_id))
    builder.button(text=_("Someone else"), callback_data=PhoneCaller(contact_id=0))
    builder.adjust(1)
    return builder.as_markup()


def confirm_keyboard(key: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Log it"), callback_data=PhoneDraftStep(action=DraftAction.SUBMIT, key=key))
    builder.button(text=_("Cancel"), callback_data=PhoneDraftStep(action=DraftAction.CANCEL, key=key))
    return builder.as_markup()


def logged_keyboard(complaint_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Open complaint"), callback_data=StaffComplaintCard(complaint_id=complaint_id))
    return builder.as_markup()
