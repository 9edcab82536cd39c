"""The visit form: its states and the draft kept in conversation data (JSON; dates as YYYYMMDD)."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup

from bot.forms.drafts import Draft
from portcrm.models import Customer

DRAFT = Draft("visit")


class VisitForm(StatesGroup):
    customer = State()
    method = State()
    notes = State()
    outcome = State()
    next_date = State()
    location = State()
    photos = State()


async def start_draft(state: FSMContext, customer: Customer | None = None) -> None:
    """A fresh draft (any earlier form is dropped), at the customer step or, if known, the method step:
    called once that step's question is out (bot/forms/steps.py)."""
    await DRAFT.start(state, photos=[])
    if customer is None:
        await state.set_state(VisitForm.customer)
    else:
        await choose_customer(state, customer)


async def choose_customer(state: FSMContext, customer: Customer) -> None:
    await DRAFT.update(state, customer_id=customer.id, customer=customer.name, grade=customer.grade.value)
    await state.set_state(VisitForm.method)
