"""Callback data of the hotline form: its start from a customer card, the caller, and its last step."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.ui.callbacks.complaints import DraftAction


class PhoneComplaintStart(CallbackData, prefix="phst"):
    customer_id: int


class PhoneCaller(CallbackData, prefix="phcl"):
    contact_id: int  # 0: someone who is not a listed contact


class PhoneDraftStep(CallbackData, prefix="phdf"):
    """Carries the draft's key: a button of an earlier or cancelled draft is recognised as stale."""

    action: DraftAction
    key: str
