"""The broadcast form: states, keyboards and the preview (the draft is JSON in the FSM data)."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.forms.drafts import Draft
from bot.ui.callbacks.admin import BroadcastCancel, BroadcastConfirm, BroadcastGrade, BroadcastType
from portcrm.enums import CustomerType, Grade
from portcrm.labels import CUSTOMER_TYPE_NAMES
from portcrm.services.development.broadcasts import Segment, rendered

DRAFT = Draft("broadcast")
ALL = "all"


class BroadcastForm(StatesGroup):
    customer_type = State()
    grade = State()
    text = State()
    confirm = State()


def segment(draft: dict[str, Any]) -> Segment:
    kind, grade = draft.get("customer_type", ALL), draft.get("grade", ALL)
    return Segment(
        customer_type=None if kind == ALL else CustomerType(kind),
        grade=None if grade == ALL else Grade(grade),
    )


def segment_text(chosen: Segment) -> str:
    kind = _(CUSTOMER_TYPE_NAMES[chosen.customer_type]) if chosen.customer_type else _("all types")
    grade = chosen.grade.value if chosen.grade else _("all grades")
    return _("Segment: {type}, grade {grade}").format(type=kind, grade=grade)


def type_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in CustomerType:
        builder.button(
            text=_(CUSTOMER_TYPE_NAMES[kind]), callback_data=BroadcastType(customer_type=kind.value)
        )
    builder.button(text=_("All types"), callback_data=BroadcastType(customer_type=ALL))
    builder.button(text=_("Cancel"), callback_data=BroadcastCancel())
    builder.adjust(2)
    return builder.as_markup()


def grade_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for grade in Grade:
        builder.button(text=grade.value, callback_data=BroadcastGrade(grade=grade.value))
    builder.button(text=_("All grades"), callback_data=BroadcastGrade(grade=ALL))
    builder.button(text=_("Cancel"), callback_data=BroadcastCancel())
    builder.adjust(4, 1)
    return builder.as_markup()


def preview(chosen: Segment, count: int, text: str) -> str:
    return "\n".join(
        [
            _("<b>Broadcast preview</b>"),
            segment_text(chosen),
            _("Recipients (contacts who agreed to marketing messages): {count}").format(count=count),
            "",
            rendered(text),
        ]
    )


def confirm_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Confirm and send"), callback_data=BroadcastConfirm())
    builder.button(text=_("Cancel"), callback_data=BroadcastCancel())
    return builder.as_markup()
