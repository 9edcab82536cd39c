"""The finance desk's buttons: ageing buckets, an overdue page, the legal mark, a payment, a credit rating,
a limit below the exposure."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.finance import (
    LedgerExport,
    LegalMark,
    LimitConfirm,
    OverdueBucket,
    PaymentConfirm,
    RatingChoice,
)
from portcrm.enums import CreditRating
from portcrm.services.receivables.ageing import Ageing, BucketPage
from portcrm.services.receivables.export import BUCKET_NAMES


def overdue_keyboard(report: Ageing) -> InlineKeyboardMarkup:
    """A button per overdue bucket with its count, then the ledger export."""
    builder = InlineKeyboardBuilder()
    for summary in report.buckets:
        name = _(BUCKET_NAMES[summary.bucket])
        builder.button(text=f"{name} ({summary.count})", callback_data=OverdueBucket(bucket=summary.bucket))
    builder.button(text=_("Export ledger (.xlsx)"), callback_data=LedgerExport())
    builder.adjust(2, 2, 1)
    return builder.as_markup()


def bucket_keyboard(page: BucketPage) -> InlineKeyboardMarkup:
    """A legal-mark button per invoice not yet marked, then the page arrows."""
    builder = InlineKeyboardBuilder()
    for row in page.rows:
        if not row.legal_action_since:
            builder.button(text=f"⚖️ {row.number}"[:60], callback_data=LegalMark(invoice_id=row.invoice_id))
    nav = []
    if page.page > 0:
        nav.append(("‹", OverdueBucket(bucket=page.bucket, page=page.page - 1)))
    if page.page + 1 < page.pages:
        nav.append(("›", OverdueBucket(bucket=page.bucket, page=page.page + 1)))
    for text, data in nav:
        builder.button(text=text, callback_data=data)
    builder.adjust(*([2] * ((len(page.rows) + 1) // 2)), len(nav) or 1)
    return builder.as_markup()


def legal_confirm_keyboard(invoice_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Mark for legal action"), callback_data=LegalMark(invoice_id=invoice_id, confirmed=True)
    )
    return builder.as_markup()


def payment_confirm_keyboard(key: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Record payment"), callback_data=PaymentConfirm(key=key))
    return builder.as_markup()


def rating_keyboard(customer_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for rating in CreditRating:
        builder.button(text=rating.value, callback_data=RatingChoice(customer_id=customer_id, rating=rating))
    builder.adjust(4)
    return builder.as_markup()


def limit_confirm_keyboard(key: str) -> InlineKeyboardMarkup:
    """A limit below the exposure: set it anyway, or leave the limit as it is."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Set the limit anyway"), callback_data=LimitConfirm(key=key, go=True))
    builder.button(text=_("Cancel"), callback_data=LimitConfirm(key=key, go=False))
    builder.adjust(2)
    return builder.as_markup()
