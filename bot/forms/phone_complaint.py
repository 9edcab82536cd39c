"""The hotline form: a colleague logs a complaint taken by phone (caller → category → shipment → words).

The draft lives in the FSM data under "phone_complaint" (JSON only), so it survives a restart; its "key" is
made when the form starts and becomes the complaint's idempotency key, like the customer's own form.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup

from bot.forms.drafts import Draft
from portcrm.enums import ComplaintCategory
from portcrm.services.complaints.intake import ComplaintDraft

DRAFT = Draft("phone_complaint")


class PhoneComplaintForm(StatesGroup):
    caller = State()
    category = State()
    shipment = State()
    description = State()
    confirm = State()


async def start_draft(state: FSMContext, customer_id: int, customer_name: str) -> str:
    """A fresh draft for this company (any earlier form is dropped); returns its key."""
    key = uuid.uuid4().hex
    await DRAFT.start(state, key=key, customer_id=customer_id, customer_name=customer_name)
    await state.set_state(PhoneComplaintForm.caller)
    return key


def to_draft(draft: dict[str, Any]) -> ComplaintDraft:
    return ComplaintDraft(
        key=draft["key"],
        customer_id=draft["customer_id"],
        contact_id=draft.get("contact_id"),
        category=ComplaintCategory(draft["category"]),
        description=draft["description"],
        shipment_id=draft.get("shipment_id"),
    )
