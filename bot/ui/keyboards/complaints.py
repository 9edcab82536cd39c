"""The customer's complaint buttons: the form's choices and steps, /complaints, a card's next step."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.complaints import (
    ComplaintCategoryChoice,
    ComplaintDraftStep,
    ComplaintRating,
    ComplaintShipmentChoice,
    CustomerComplaintCard,
    CustomerComplaintStep,
    DraftAction,
)
from bot.ui.views.complaints import shipment_label
from portcrm.enums import ComplaintCategory, ComplaintStatus
from portcrm.labels import COMPLAINT_CATEGORY_NAMES
from portcrm.models import Complaint
from portcrm.services.complaints.cards import ComplaintCard
from portcrm.services.complaints.intake import ShipmentChoice
from portcrm.services.complaints.notices import CustomerStep


def category_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for category in ComplaintCategory:
        builder.button(
            text=_(COMPLAINT_CATEGORY_NAMES[category]),
            callback_data=ComplaintCategoryChoice(category=category),
        )
    builder.adjust(2)
    return builder.as_markup()


def shipment_keyboard(shipments: list[ShipmentChoice]) -> InlineKeyboardMarkup:
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


# the customer may add a message, photo or file while the port works on it, and after the close (it reopens
# the complaint's desk topic); while a step of theirs is awaited, that step's button is the way to answer
WRITABLE = frozenset(
    {
        ComplaintStatus.SUBMITTED,
        ComplaintStatus.ACKNOWLEDGED,
        ComplaintStatus.INVESTIGATING,
        ComplaintStatus.CLOSED,
    }
)


def card_keyboard(card: ComplaintCard) -> InlineKeyboardMarkup | None:
    """The step the port is waiting for, in case its push was missed."""
    complaint_id, builder = card.complaint.id, InlineKeyboardBuilder()
    if card.complaint.status == ComplaintStatus.AWAITING_CUSTOMER:
        builder.button(
            text=_("Reply"),
            callback_data=CustomerComplaintStep(step=CustomerStep.REPLY, complaint_id=complaint_id),
        )
    elif card.complaint.status == ComplaintStatus.RESOLUTION_PROPOSED:
        for step, label in ((CustomerStep.ACCEPT, _("Accept")), (CustomerStep.REJECT, _("Reject"))):
            builder.button(
                text=label, callback_data=CustomerComplaintStep(step=step, complaint_id=complaint_id)
            )
    elif card.complaint.status == ComplaintStatus.CLOSED and card.complaint.satisfaction is None:
        for score in range(1, 6):
            builder.button(
                text=f"{score}★", callback_data=ComplaintRating(complaint_id=complaint_id, score=score)
            )
    sizes = [len(list(builder.buttons))] if list(builder.buttons) else []
    if card.complaint.status in WRITABLE:
        builder.button(
            text=_("Write to the desk"),
            callback_data=CustomerComplaintStep(step=CustomerStep.WRITE, complaint_id=complaint_id),
        )
        sizes.append(1)
    builder.adjust(*sizes)
    return builder.as_markup() if list(builder.buttons) else None


def list_keyboard(complaints: list[Complaint]) -> InlineKeyboardMarkup:
    """/complaints: a card button per complaint, by ticket."""
    builder = InlineKeyboardBuilder()
    for complaint in complaints:
        builder.button(text=complaint.ticket, callback_data=CustomerComplaintCard(complaint_id=complaint.id))
    builder.adjust(2)
    return builder.as_markup()


def skip_comment_keyboard(complaint_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    skip = CustomerComplaintStep(step=CustomerStep.SKIP_COMMENT, complaint_id=complaint_id)
    builder.button(text=_("Skip"), callback_data=skip)
    return builder.as_markup()
