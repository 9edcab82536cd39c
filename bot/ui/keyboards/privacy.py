"""The buttons of privacy: consent toggles on the notice and on /privacy, a deletion request, and the
staff's erasure of one."""

from __future__ import annotations

from typing import Literal

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.privacy import (
    NOTICE,
    PRIVACY,
    ConsentToggle,
    DataCopy,
    DeletionStep,
    ErasureAsk,
    ErasureConfirm,
    NoticeDone,
)
from portcrm.services.privacy.rights import Consent, PrivacyView

CONSENT_LABELS = {
    Consent.GREETINGS: __("Festival and birthday greetings"),
    Consent.MARKETING: __("News and offers"),
    Consent.EMAIL: __("Notices by e-mail instead of chat"),
}


def consent_button(consent: Consent, on: bool, screen: Literal["n", "p"]) -> tuple[str, str]:
    """A toggle showing the current choice; pressing it asks for the opposite."""
    mark = "✅" if on else "⬜"
    data = ConsentToggle(screen=screen, consent=consent, on=not on).pack()
    return f"{mark} {CONSENT_LABELS[consent]}", data


def notice_keyboard(greetings: bool, marketing: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for consent, on in ((Consent.GREETINGS, greetings), (Consent.MARKETING, marketing)):
        text, data = consent_button(consent, on, NOTICE)
        builder.button(text=text, callback_data=data)
    builder.button(text=_("Done"), callback_data=NoticeDone())
    builder.adjust(1)
    return builder.as_markup()


def privacy_keyboard(view: PrivacyView) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    choices = [(Consent.GREETINGS, view.greetings), (Consent.MARKETING, view.marketing)]
    if view.email:
        choices.append((Consent.EMAIL, view.by_email))
    for consent, on in choices:
        text, data = consent_button(consent, on, PRIVACY)
        builder.button(text=text, callback_data=data)
    builder.button(text=_("Download a copy of my data (.xlsx)"), callback_data=DataCopy())
    if view.deletion_requested_at is None:
        builder.button(text=_("Request deletion of my data"), callback_data=DeletionStep(step="ask"))
    builder.adjust(1)
    return builder.as_markup()


def deletion_keyboard() -> InlineKeyboardMarkup:
    """Asking for one's data to be deleted: confirm or cancel."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, request deletion"), callback_data=DeletionStep(step="yes"))
    builder.button(text=_("Cancel"), callback_data=DeletionStep(step="no"))
    builder.adjust(2)
    return builder.as_markup()


def erasure_requests_keyboard(request_ids: list[int]) -> InlineKeyboardMarkup:
    """/privacy_requests: an Erase button per request listed."""
    builder = InlineKeyboardBuilder()
    for request_id in request_ids:
        builder.button(
            text=_("Erase #{number}").format(number=request_id),
            callback_data=ErasureAsk(request_id=request_id),
        )
    builder.adjust(2)
    return builder.as_markup()


def erasure_keyboard(request_id: int) -> InlineKeyboardMarkup:
    """The erasure's confirmation."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, erase"), callback_data=ErasureConfirm(request_id=request_id, go=True))
    builder.button(text=_("Cancel"), callback_data=ErasureConfirm(request_id=request_id, go=False))
    builder.adjust(2)
    return builder.as_markup()
