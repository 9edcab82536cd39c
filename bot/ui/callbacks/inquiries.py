"""Callback data of /ask: the staff's Reply button, whose payload the core writes into the alert."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from portcrm.services.care.inquiries import REPLY_PREFIX


class InquiryReply(CallbackData, prefix=REPLY_PREFIX):
    inquiry_id: int
