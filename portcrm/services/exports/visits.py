"""Every logged visit or call (回访, 上门拜访), for the market department and managers, newest first.

The notes are the staff's words without the photos' Telegram file ids (data for the chat, not the reader).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import N_
from portcrm.labels import CONTACT_METHOD_NAMES
from portcrm.models import Complaint, Contact, Customer, Staff, Visit
from portcrm.services.care.visits import PHOTOS_FOOTER
from portcrm.services.exports.workbook import Label, Sheet
from portcrm.services.identity.users import Identity

HEADERS = (
    N_("Date and time"),
    N_("Customer code"),
    N_("Customer"),
    N_("Staff member"),
    N_("Contact"),
    N_("How"),
    N_("Notes"),
    N_("Outcome"),
    N_("Next revisit on"),
    N_("Complaint"),
    N_("Latitude"),
    N_("Longitude"),
)


def _notes(text: str) -> str:
    return text.partition("\n\n" + PHOTOS_FOOTER + "\n")[0]


async def visit_sheets(session: AsyncSession, viewer: Identity) -> list[Sheet]:
    found = await session.execute(
        select(Visit, Customer.code, Customer.name, Staff.name, Contact.name, Complaint.ticket)
        .join(Customer, Customer.id == Visit.customer_id)
        .join(Staff, Staff.id == Visit.staff_id)
        .outerjoin(Contact, Contact.id == Visit.contact_id)
        .outerjoin(Complaint, Complaint.id == Visit.complaint_id)
        .order_by(Visit.occurred_at.desc(), Visit.id.desc())
    )
    rows = [
        [
            v.occurred_at,
            code,
            company,
            staff,
            contact,
            Label(CONTACT_METHOD_NAMES[v.method]),
            _notes(v.notes),
            v.outcome,
            v.next_revisit_on,
            ticket,
            v.latitude,
            v.longitude,
        ]
        for v, code, company, staff, contact, ticket in found
    ]
    return [Sheet(N_("Visits"), HEADERS, rows)]
