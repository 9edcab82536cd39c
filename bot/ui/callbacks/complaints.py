"""Callback data of complaints: the customer's draft, their answers to pushes, and the staff's card.

The pushed buttons (cards, customer steps, ratings) are written by `portcrm.services.complaints.notices`
into the outbox, so their prefixes and fields come from there.
"""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData

from portcrm.enums import ComplaintCategory
from portcrm.services.complaints.notices import (
    CUSTOMER_CARD_PREFIX,
    CUSTOMER_STEP_PREFIX,
    RATING_PREFIX,
    STAFF_CARD_PREFIX,
    CustomerStep,
)


class DraftAction(enum.StrEnum):
    DONE = "done"  # no (more) attachments
    SUBMIT = "submit"
    CANCEL = "cancel"


class ComplaintCategoryChoice(CallbackData, prefix="cpcat"):
    category: ComplaintCategory


class ComplaintShipmentChoice(CallbackData, prefix="cpshp"):
    shipment_id: int  # 0: not about one shipment


class ComplaintDraftStep(CallbackData, prefix="cpdft"):
    """Carries the draft's key: a button of an earlier or cancelled draft is recognised as stale."""

    action: DraftAction
    key: str


class CustomerComplaintCard(CallbackData, prefix=CUSTOMER_CARD_PREFIX):
    complaint_id: int


class CustomerComplaintStep(CallbackData, prefix=CUSTOMER_STEP_PREFIX):
    step: CustomerStep
    complaint_id: int


class ComplaintRating(CallbackData, prefix=RATING_PREFIX):
    complaint_id: int
    score: int


class StaffComplaintCard(CallbackData, prefix=STAFF_CARD_PREFIX):
    complaint_id: int
