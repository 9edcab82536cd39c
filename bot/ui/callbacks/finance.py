"""Callback data of the finance desk: ids and short codes only, every one checked again by its handler."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from portcrm.enums import CreditRating
from portcrm.services.receivables.ageing import Bucket


class OverdueBucket(CallbackData, prefix="fbk"):
    bucket: Bucket
    page: int = 0


class LedgerExport(CallbackData, prefix="fxl"):
    pass


class LegalMark(CallbackData, prefix="flg"):
    invoice_id: int
    confirmed: bool = False


class PaymentConfirm(CallbackData, prefix="fpay"):
    key: str  # the pending payment's key in the conversation data: a stale button is recognised


class RatingChoice(CallbackData, prefix="frt"):
    customer_id: int
    rating: CreditRating


class LimitConfirm(CallbackData, prefix="flim"):
    key: str  # the pending limit's key in the conversation data: a stale button is recognised
    go: bool  # False: cancelled
