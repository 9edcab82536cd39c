"""The complaint form: its states, and the draft kept in conversation data.

The draft lives in the FSM data under "complaint" (JSON only), so it survives a restart; its "key" is made
when the form starts and becomes the complaint's idempotency key.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup

from bot.forms.drafts import Draft
from portcrm.enums import ComplaintCategory
from portcrm.services.complaints.intake import AttachmentDraft, ComplaintDraft
from portcrm.services.identity.users import Identity

DRAFT = Draft("complaint")


class ComplaintForm(StatesGroup):
    category = State()
    shipment = State()
    description = State()
    attachments = State()
    confirm = State()


async def start_draft(state: FSMContext) -> str:
    """A fresh draft (any earlier one is dropped); returns its key."""
    key = uuid.uuid4().hex
    await DRAFT.start(state, key=key, attachments=[])
    await state.set_state(ComplaintForm.category)
    return key


def attachments_of(draft: dict[str, Any]) -> tuple[AttachmentDraft, ...]:
    return tuple(AttachmentDraft(**a) for a in draft.get("attachments") or [])


def to_draft(draft: dict[str, Any], identity: Identity) -> ComplaintDraft:
    assert identity.customer_id is not None  # the customer router lets only linked contacts in
    return ComplaintDraft(
        key=draft["key"],
        customer_id=identity.customer_id,
        contact_id=identity.contact_id,
        category=ComplaintCategory(draft["category"]),
        description=draft["description"],
        shipment_id=draft.get("shipment_id"),
        attachments=attachments_of(draft),
    )
