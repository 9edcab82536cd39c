"""Callback data of the staff's complaint desk: the queue's view, a card's steps, assignees and root causes.

Ids and short codes only: names never travel in a button (64 bytes).
"""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData

from portcrm.services.complaints.queue import QueueFilter, QueueOrder


class DeskStep(enum.StrEnum):
    TAKE = "take"  # assign to me
    ASSIGN = "asg"  # list the department's staff
    ACKNOWLEDGE = "ack"
    INVESTIGATE = "inv"
    NOTE = "note"
    ASK = "ask"
    PROPOSE = "prop"
    CLOSE = "close"


class DeskQueue(CallbackData, prefix="dq"):
    status: QueueFilter
    mine: bool
    order: QueueOrder
    page: int


class DeskAction(CallbackData, prefix="dqa"):
    step: DeskStep
    complaint_id: int


class DeskAssignee(CallbackData, prefix="dqs"):
    complaint_id: int
    staff_id: int


class DeskRootCause(CallbackData, prefix="dqr"):
    complaint_id: int
    cause: str  # one of complaint_desk.ROOT_CAUSES; checked by the service
