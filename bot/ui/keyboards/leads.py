"""The buttons of leads: the /lead form's choices and Skip, /leads, and a lead card's steps."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.leads import (
    LeadConvert,
    LeadConvertType,
    LeadOpen,
    LeadSkip,
    LeadSourceChoice,
    LeadStatusChange,
    LeadTypeChoice,
)
from portcrm.enums import CustomerType, LeadSource
from portcrm.labels import CUSTOMER_TYPE_NAMES, LEAD_SOURCE_NAMES, LEAD_STATUS_NAMES
from portcrm.models import Lead
from portcrm.services.complaints.notices import clip
from portcrm.services.development.leads import SETTABLE_STATUSES


def skip_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Skip"), callback_data=LeadSkip())
    return builder.as_markup()


def type_keyboard(*, for_conversion: bool = False) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in CustomerType:
        data = (
            LeadConvertType(customer_type=kind)
            if for_conversion
            else LeadTypeChoice(customer_type=kind.value)
        )
        builder.button(text=_(CUSTOMER_TYPE_NAMES[kind]), callback_data=data)
    if not for_conversion:
        builder.button(text=_("Skip"), callback_data=LeadTypeChoice(customer_type=""))
    builder.adjust(2)
    return builder.as_markup()


def source_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for source in LeadSource:
        builder.button(text=_(LEAD_SOURCE_NAMES[source]), callback_data=LeadSourceChoice(source=source))
    builder.adjust(2)
    return builder.as_markup()


def card_keyboard(lead: Lead) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    statuses = [status for status in SETTABLE_STATUSES if status != lead.status]
    for status in statuses:
        builder.button(
            text=_(LEAD_STATUS_NAMES[status]), callback_data=LeadStatusChange(lead_id=lead.id, status=status)
        )
    builder.button(text=_("Convert to customer"), callback_data=LeadConvert(lead_id=lead.id))
    builder.adjust(len(statuses), 1)
    return builder.as_markup()


def list_keyboard(leads: list[Lead]) -> InlineKeyboardMarkup | None:
    """/leads: a card button per lead listed."""
    if not leads:
        return None
    builder = InlineKeyboardBuilder()
    for lead in leads:
        builder.button(
            text=clip(f"#{lead.id} {lead.company_name}", 40), callback_data=LeadOpen(lead_id=lead.id)
        )
    builder.adjust(1)
    return builder.as_markup()
