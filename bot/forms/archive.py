"""The archive edit and add-contact forms: their states and the draft in conversation data.

The draft lives in FSM data under "archive" (JSON only: ids, the field name and the typed value), so a value
typed before a restart is still there to confirm.
"""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup

from bot.forms.drafts import Draft
from portcrm.services.archive.fields import ArchiveField

DRAFT = Draft("archive")


class ArchiveForm(StatesGroup):
    value = State()
    confirm = State()


class ContactForm(StatesGroup):
    name = State()
    reach = State()


async def start_edit(state: FSMContext, field: ArchiveField, customer_id: int, contact_id: int = 0) -> None:
    """A fresh draft waiting for the value: called once the value was asked for (bot/forms/steps.py)."""
    await DRAFT.start(state, customer_id=customer_id, contact_id=contact_id, field=field.name)
    await state.set_state(ArchiveForm.value)


async def keep_value(state: FSMContext, raw: str) -> None:
    """The value typed, waiting for Save: called once the confirmation was asked for."""
    await DRAFT.update(state, raw=raw)
    await state.set_state(ArchiveForm.confirm)
