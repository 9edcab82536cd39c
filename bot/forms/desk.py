"""The complaint desk's forms: a note, a question, a proposal, a corrective action.

A form keeps only the complaint id (and the chosen root cause) in the conversation data, as JSON.
"""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup

from bot.forms.drafts import Draft

DESK = Draft("desk")


class DeskForm(StatesGroup):
    note = State()
    question = State()
    resolution = State()
    corrective_action = State()


async def start_form(state: FSMContext, form: State, complaint_id: int, **values: Any) -> None:
    """A fresh form waiting for its text: called once the text was asked for (bot/forms/steps.py)."""
    await DESK.start(state, complaint_id=complaint_id, **values)
    await state.set_state(form)
