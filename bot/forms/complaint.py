"""The complaint form: its states, the draft kept in conversation data, its keyboards and summary.

The draft lives in the FSM data under "complaint" (JSON only), so it survives a restart; its "key" is made
when the form starts and becomes the complaint's idempotency key.
"""

from __future__ import annotations

import html
import uuid
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.forms.drafts import Draft
from bot.ui.callbacks.complaints import (
    ComplaintCategoryChoice,
    ComplaintDraftStep,
    ComplaintShipmentChoice,
    DraftAction,
)
from portcrm.enums import ComplaintCategory
from portcrm.labels import COMPLAINT_CATEGORY_NAMES
from portcrm.models import Shipment
from portcrm.services.complaints.intake import MAX_ATTACHMENTS, AttachmentDraft, ComplaintDraft
from portcrm.services.complaints.notices import clip
from portcrm.services.identity.users import Identity

DRAFT = Draft("complaint")
_SUMMARY_DESCRIPTION = 3500  # the rest of the summary fits in the other ~600 characters of a message


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


def shipment_label(shipment: Shipment) -> str:
    reference = shipment.bl_number or shipment.booking_ref or f"#{shipment.id}"
    vessel = " ".join(v for v in (shipment.vessel_name, shipment.voyage) if v)
    return clip(f"{reference} · {vessel}" if vessel else reference, 60)


def category_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for category in ComplaintCategory:
        builder.button(
            text=_(COMPLAINT_CATEGORY_NAMES[category]),
            callback_data=ComplaintCategoryChoice(category=category),
        )
    builder.adjust(2)
    return builder.as_markup()


def shipment_keyboard(shipments: list[Shipment]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for shipment in shipments:
        builder.button(
            text=shipment_label(shipment), callback_data=ComplaintShipmentChoice(shipment_id=shipment.id)
        )
    builder.button(text=_("None of these"), callback_data=ComplaintShipmentChoice(shipment_id=0))
    builder.adjust(1)
    return builder.as_markup()


def files_keyboard(key: str, *, any_added: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    label = _("Done") if any_added else _("Skip")
    builder.button(text=label, callback_data=ComplaintDraftStep(action=DraftAction.DONE, key=key))
    return builder.as_markup()


def confirm_keyboard(key: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Submit"), callback_data=ComplaintDraftStep(action=DraftAction.SUBMIT, key=key))
    builder.button(text=_("Cancel"), callback_data=ComplaintDraftStep(action=DraftAction.CANCEL, key=key))
    return builder.as_markup()


def files_prompt(count: int) -> str:
    if count == 0:
        return _(
            "You can add up to {limit} photos or documents (for example of the damage or the papers). "
            "Send them now, or press Skip."
        ).format(limit=MAX_ATTACHMENTS)
    return _("Received {count} of at most {limit} files. Send more, or press Done.").format(
        count=count, limit=MAX_ATTACHMENTS
    )


def summary(draft: dict[str, Any]) -> str:
    """Everything the complaint will say, escaped, within one message."""
    category = _(COMPLAINT_CATEGORY_NAMES[ComplaintCategory(draft["category"])])
    shipment = html.escape(draft.get("shipment_label") or _("none"))
    return "\n".join(
        [
            _("<b>Please check your complaint</b>"),
            _("Category: {category}").format(category=category),
            _("Shipment: {shipment}").format(shipment=shipment),
            _("Files: {count}").format(count=len(draft.get("attachments") or [])),
            "",
            html.escape(clip(draft["description"], _SUMMARY_DESCRIPTION)),
            "",
            _("Press Submit to send it to the port, or Cancel to discard it."),
        ]
    )
