"""The buttons of the staff's complaint desk: the queue's view, a card's steps, assignees, root causes."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.complaints import StaffComplaintCard
from bot.ui.callbacks.desk import DeskAction, DeskAssignee, DeskQueue, DeskRootCause, DeskStep
from bot.ui.views.desk import FILTER_NAMES
from portcrm.enums import ComplaintStatus
from portcrm.labels import ROOT_CAUSE_NAMES
from portcrm.models import Staff
from portcrm.services.complaints.desk import ROOT_CAUSES
from portcrm.services.complaints.notices import clip
from portcrm.services.complaints.queue import DeskCard, QueueOrder, QueuePage

S = ComplaintStatus
# the steps each status offers beyond assigning and notes; complaint_flow decides whether they succeed
STATUS_STEPS = {
    S.SUBMITTED: (DeskStep.ACKNOWLEDGE,),
    S.ACKNOWLEDGED: (DeskStep.INVESTIGATE,),
    S.INVESTIGATING: (DeskStep.ASK, DeskStep.PROPOSE),
    S.RESOLVED: (DeskStep.CLOSE,),
}
STEP_NAMES = {
    DeskStep.TAKE: __("Assign to me"),
    DeskStep.ASSIGN: __("Assign…"),
    DeskStep.ACKNOWLEDGE: __("Acknowledge"),
    DeskStep.INVESTIGATE: __("Start investigation"),
    DeskStep.NOTE: __("Add note"),
    DeskStep.ASK: __("Ask the customer"),
    DeskStep.PROPOSE: __("Propose resolution"),
    DeskStep.CLOSE: __("Close"),
}


def queue_keyboard(page: QueuePage, view: DeskQueue) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for line in page.lines:
        label = f"{line.complaint.ticket} · {clip(line.customer_name, 24)}"
        builder.button(text=label, callback_data=StaffComplaintCard(complaint_id=line.complaint.id))
    sizes = [1] * len(page.lines)
    if page.pages > 1:
        builder.button(text="◀", callback_data=view.model_copy(update={"page": (page.page - 1) % page.pages}))
        builder.button(text="▶", callback_data=view.model_copy(update={"page": (page.page + 1) % page.pages}))
        sizes.append(2)
    for status, name in FILTER_NAMES.items():
        mark = "• " if status == view.status else ""
        builder.button(
            text=f"{mark}{name}", callback_data=view.model_copy(update={"status": status, "page": 0})
        )
    sizes += [3, 3]
    mine = _("Show all of ours") if view.mine else _("Only mine")
    builder.button(text=mine, callback_data=view.model_copy(update={"mine": not view.mine, "page": 0}))
    urgent = view.order is QueueOrder.URGENT
    order = QueueOrder.NEWEST if urgent else QueueOrder.URGENT
    builder.button(
        text=_("Newest first") if urgent else _("Most urgent first"),
        callback_data=view.model_copy(update={"order": order, "page": 0}),
    )
    sizes.append(2)
    builder.adjust(*sizes)
    return builder.as_markup()


def card_keyboard(desk: DeskCard, staff_id: int) -> InlineKeyboardMarkup | None:
    complaint = desk.card.complaint
    if not desk.can_act or complaint.status == S.CLOSED:
        return None
    steps = [*STATUS_STEPS.get(complaint.status, ())]
    if complaint.assigned_to_id != staff_id:
        steps.append(DeskStep.TAKE)
    steps += [DeskStep.ASSIGN, DeskStep.NOTE]
    builder = InlineKeyboardBuilder()
    for step in steps:
        builder.button(
            text=str(STEP_NAMES[step]), callback_data=DeskAction(step=step, complaint_id=complaint.id)
        )
    builder.adjust(2)
    return builder.as_markup()


def assignee_keyboard(complaint_id: int, staff: list[Staff]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for member in staff:
        builder.button(
            text=clip(member.name, 40),
            callback_data=DeskAssignee(complaint_id=complaint_id, staff_id=member.id),
        )
    builder.adjust(2)
    return builder.as_markup()


def root_cause_keyboard(complaint_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for cause in ROOT_CAUSES:
        builder.button(
            text=_(ROOT_CAUSE_NAMES[cause]),
            callback_data=DeskRootCause(complaint_id=complaint_id, cause=cause),
        )
    builder.adjust(2)
    return builder.as_markup()
