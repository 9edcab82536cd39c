"""The buttons of the admin screens: the broadcast form's choices, and staff cards with their roles."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.admin import (
    ALL,
    BroadcastCancel,
    BroadcastConfirm,
    BroadcastGrade,
    BroadcastType,
    StaffActive,
    StaffOpen,
    StaffRoleToggle,
)
from portcrm.enums import CustomerType, Grade, Role
from portcrm.labels import CUSTOMER_TYPE_NAMES, ROLE_NAMES
from portcrm.models import Staff
from portcrm.services.complaints.notices import clip


def broadcast_type_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in CustomerType:
        builder.button(
            text=_(CUSTOMER_TYPE_NAMES[kind]), callback_data=BroadcastType(customer_type=kind.value)
        )
    builder.button(text=_("All types"), callback_data=BroadcastType(customer_type=ALL))
    builder.button(text=_("Cancel"), callback_data=BroadcastCancel())
    builder.adjust(2)
    return builder.as_markup()


def broadcast_grade_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for grade in Grade:
        builder.button(text=grade.value, callback_data=BroadcastGrade(grade=grade.value))
    builder.button(text=_("All grades"), callback_data=BroadcastGrade(grade=ALL))
    builder.button(text=_("Cancel"), callback_data=BroadcastCancel())
    builder.adjust(4, 1)
    return builder.as_markup()


def broadcast_confirm_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Confirm and send"), callback_data=BroadcastConfirm())
    builder.button(text=_("Cancel"), callback_data=BroadcastCancel())
    return builder.as_markup()


def staff_card_keyboard(member: Staff) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for role in Role:
        mark = "✅ " if role in member.role_set else "▫️ "
        builder.button(
            text=mark + _(ROLE_NAMES[role]), callback_data=StaffRoleToggle(staff_id=member.id, role=role)
        )
    label = _("Deactivate") if member.active else _("Reactivate")
    builder.button(text=label, callback_data=StaffActive(staff_id=member.id, active=not member.active))
    builder.adjust(2, 2, 1, 1)
    return builder.as_markup()


def staff_list_keyboard(members: list[Staff]) -> InlineKeyboardMarkup | None:
    if not members:
        return None
    builder = InlineKeyboardBuilder()
    for member in members:
        builder.button(text=clip(member.name, 40), callback_data=StaffOpen(staff_id=member.id))
    builder.adjust(2)
    return builder.as_markup()
