"""The staff's complaint desk: who may act on a complaint, and the steps they take (assign, note, close).

The status steps themselves are `flow`'s (one place for the transition rules and the customer's notices);
this module adds who may take them. What the desk shows (the queue, a card) is `queue`'s. Closing plans the
account manager's verification revisit without recording anything: `care.revisits` lists it as due a few
working days after the close until a visit is logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintStatus, Role
from portcrm.errors import N_, Conflict, Forbidden, InvalidInput
from portcrm.models import Complaint, ComplaintEvent, Staff, StaffRole
from portcrm.services.complaints import flow
from portcrm.services.complaints.intake import check_text, load_complaint
from portcrm.settings import Locale
from portcrm.storage.transaction import transactional

log = logging.getLogger(__name__)
S = ComplaintStatus
MAX_ASSIGNEES = 20
ACTIVE = frozenset(set(S) - {S.CLOSED})  # the stages a complaint can be assigned and noted in
SEE_ALL = frozenset({Role.MARKET, Role.MANAGER})  # the market department records complaints; managers see all
# root causes a closed complaint is classified by (names in portcrm.labels.ROOT_CAUSE_NAMES)
ROOT_CAUSES = ("equipment", "process", "staff", "third_party", "customer", "documentation", "other")


class DeskRefused(Forbidden):
    message = N_("Complaint {ticket} belongs to another department: you cannot act on it.")


class NotAssignable(InvalidInput):
    message = N_("{name} is not in the department that handles complaint {ticket}.")


class AlreadyAssigned(Conflict):
    message = N_("Complaint {ticket} is already assigned to {name}.")


class AlreadyClosed(Conflict):
    message = N_("Complaint {ticket} is already closed.")


@dataclass(frozen=True, slots=True)
class DeskUser:
    """The staff member at the desk, as plain values from the edge."""

    staff_id: int
    roles: frozenset[Role]


def sees(complaint: Complaint, user: DeskUser) -> bool:
    return bool(user.roles & SEE_ALL) or complaint.department in user.roles


def may_act(complaint: Complaint, user: DeskUser) -> bool:
    """The owning department, the assignee, the market department and managers."""
    return sees(complaint, user) or complaint.assigned_to_id == user.staff_id


async def _actor_check(
    session: AsyncSession, complaint_id: int, user: DeskUser, statuses: frozenset[ComplaintStatus]
) -> Complaint:
    """The complaint, if this user may act on it and it is still at a stage the step needs."""
    complaint = await load_complaint(session, complaint_id)
    if not may_act(complaint, user):
        raise DeskRefused(ticket=complaint.ticket)
    if complaint.status == S.CLOSED:
        raise AlreadyClosed(ticket=complaint.ticket)
    return await load_complaint(session, complaint_id, statuses=statuses)


@transactional
async def expect_step(
    session: AsyncSession, complaint_id: int, user: DeskUser, statuses: frozenset[ComplaintStatus]
) -> Complaint:
    """Check a button before asking for its text: this user may act, and the complaint is at that stage."""
    return await _actor_check(session, complaint_id, user, statuses)


@transactional
async def assignable_staff(session: AsyncSession, complaint_id: int, user: DeskUser) -> list[Staff]:
    """The active members of the department that handles the complaint, to choose an assignee from."""
    complaint = await _actor_check(session, complaint_id, user, ACTIVE)
    rows = await session.scalars(
        select(Staff)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(StaffRole.role == complaint.department, Staff.active.is_(True))
        .order_by(Staff.name, Staff.id)
        .limit(MAX_ASSIGNEES)
    )
    return list(rows)


@transactional
async def assign(session: AsyncSession, complaint_id: int, user: DeskUser, assignee_id: int) -> Complaint:
    """Give the complaint to a member of its department, or to oneself (who may act on it already)."""
    complaint = await _actor_check(session, complaint_id, user, ACTIVE)
    assignee = await session.get(Staff, assignee_id) if 0 < assignee_id < 2**63 else None
    if assignee is None or not assignee.active:
        raise NotAssignable(name="—", ticket=complaint.ticket)
    if assignee.id != user.staff_id and complaint.department not in assignee.role_set:
        raise NotAssignable(name=assignee.name, ticket=complaint.ticket)
    if complaint.assigned_to_id == assignee.id:
        raise AlreadyAssigned(ticket=complaint.ticket, name=assignee.name)
    complaint.assigned_to_id = assignee.id
    session.add(
        ComplaintEvent(complaint_id=complaint.id, kind="assigned", staff_id=user.staff_id, text=assignee.name)
    )
    log.info("complaint %s assigned to staff %s by %s", complaint.ticket, assignee.id, user.staff_id)
    return complaint


@transactional
async def add_note(session: AsyncSession, complaint_id: int, user: DeskUser, text: str) -> Complaint:
    """An internal note on the complaint's history; the customer never sees it."""
    complaint = await _actor_check(session, complaint_id, user, ACTIVE)
    session.add(
        ComplaintEvent(complaint_id=complaint.id, kind="note", staff_id=user.staff_id, text=check_text(text))
    )
    return complaint


async def acknowledge(
    session: AsyncSession, complaint_id: int, user: DeskUser, *, default_locale: Locale
) -> Complaint:
    await expect_step(session, complaint_id, user, frozenset({S.SUBMITTED}))
    return await flow.acknowledge(session, complaint_id, user.staff_id, default_locale=default_locale)


async def start_investigation(
    session: AsyncSession, complaint_id: int, user: DeskUser, *, default_locale: Locale
) -> Complaint:
    await expect_step(session, complaint_id, user, frozenset({S.ACKNOWLEDGED}))
    return await flow.start_investigation(session, complaint_id, user.staff_id, default_locale=default_locale)


async def ask_customer(
    session: AsyncSession,
    complaint_id: int,
    user: DeskUser,
    question: str,
    *,
    default_locale: Locale,
) -> Complaint:
    """The question goes to the customer and the SLA clock stops until they answer."""
    await expect_step(session, complaint_id, user, frozenset({S.INVESTIGATING}))
    return await flow.ask_customer(
        session, complaint_id, user.staff_id, question, default_locale=default_locale
    )


async def propose_resolution(
    session: AsyncSession,
    complaint_id: int,
    user: DeskUser,
    resolution: str,
    *,
    default_locale: Locale,
) -> Complaint:
    await expect_step(session, complaint_id, user, frozenset({S.INVESTIGATING}))
    return await flow.propose_resolution(
        session, complaint_id, user.staff_id, resolution, default_locale=default_locale
    )


@transactional
async def close(
    session: AsyncSession,
    complaint_id: int,
    user: DeskUser,
    root_cause: str,
    corrective_action: str,
    *,
    default_locale: Locale,
) -> Complaint:
    """Close a resolved complaint with one of ROOT_CAUSES and the corrective action.

    Its verification revisit is planned by the close itself (`care.revisits` reads `closed_at`), so nothing
    is booked as done here: it counts only once the account manager logs the visit.
    """
    if root_cause not in ROOT_CAUSES:
        raise InvalidInput(N_("Please choose a root cause with the buttons."))
    await _actor_check(session, complaint_id, user, frozenset({S.RESOLVED}))
    return await flow.close(
        session, complaint_id, user.staff_id, root_cause, corrective_action, default_locale=default_locale
    )
