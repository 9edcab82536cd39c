"""Every complaint with its handling and outcome, for the market department and managers (who see them all,
as on the desk: complaints/desk.py SEE_ALL), newest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from portcrm.errors import N_
from portcrm.labels import COMPLAINT_CATEGORY_NAMES, COMPLAINT_STATUS_NAMES, ROLE_NAMES, ROOT_CAUSE_NAMES
from portcrm.models import Complaint, Contact, Customer, Staff
from portcrm.services.exports.workbook import Label, Sheet
from portcrm.services.identity.users import Identity

HEADERS = (
    N_("Ticket"),
    N_("Filed at"),
    N_("Customer code"),
    N_("Customer"),
    N_("Complainant"),
    N_("Category"),
    N_("Department"),
    N_("Status"),
    N_("Assigned to"),
    N_("Acknowledged at"),
    N_("Resolved at"),
    N_("Closed at"),
    N_("Description"),
    N_("Resolution"),
    N_("Root cause"),
    N_("Corrective action"),
    N_("Satisfaction (1–5)"),
    N_("Customer's comment"),
)


async def complaint_sheets(session: AsyncSession, viewer: Identity) -> list[Sheet]:
    assignee = aliased(Staff)
    found = await session.execute(
        select(Complaint, Customer.code, Customer.name, Contact.name, assignee.name)
        .join(Customer, Customer.id == Complaint.customer_id)
        .outerjoin(Contact, Contact.id == Complaint.contact_id)
        .outerjoin(assignee, assignee.id == Complaint.assigned_to_id)
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
    )
    rows = [
        [
            c.ticket,
            c.created_at,
            code,
            company,
            contact,
            Label(COMPLAINT_CATEGORY_NAMES[c.category]),
            Label(ROLE_NAMES[c.department]),
            Label(COMPLAINT_STATUS_NAMES[c.status]),
            staff,
            c.acknowledged_at,
            c.resolved_at,
            c.closed_at,
            c.description,
            c.resolution,
            Label(ROOT_CAUSE_NAMES[c.root_cause]) if c.root_cause in ROOT_CAUSE_NAMES else c.root_cause,
            c.corrective_action,
            c.satisfaction,
            c.satisfaction_comment,
        ]
        for c, code, company, contact, staff in found
    ]
    return [Sheet(N_("Complaints"), HEADERS, rows)]
