"""The broadcast form: states, the draft (JSON in the FSM data) and the segment it chooses."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State, StatesGroup

from bot.forms.drafts import Draft
from bot.ui.callbacks.admin import ALL
from portcrm.enums import CustomerType, Grade
from portcrm.services.development.broadcasts import Segment

DRAFT = Draft("broadcast")


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
