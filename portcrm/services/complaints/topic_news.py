"""The complaint's news posted into its desk topic, in the desk group's language: each status change (the
topic closes with the complaint), the customer's answers and their rating. Called by `flow` in the
transaction of the change; nothing while no desk group is attached.
"""

from __future__ import annotations

import html

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintStatus
from portcrm.i18n import gettext_for
from portcrm.labels import COMPLAINT_STATUS_NAMES, person_name
from portcrm.models import Complaint, ComplaintEvent, Contact, Staff
from portcrm.services.complaints import topics
from portcrm.services.complaints.notices import clip
from portcrm.settings import Locale, Settings

S = ComplaintStatus


async def status_posted(
    session: AsyncSession, complaint: Complaint, event: ComplaintEvent, default_locale: Locale
) -> None:
    """A status change told in the topic (with the question, proposal or reason it carries); the topic
    closes with the complaint."""
    _ = gettext_for(default_locale)
    status = _(COMPLAINT_STATUS_NAMES[complaint.status])
    lines = [_("Status: <b>{status}</b>").format(status=status)]
    if event.staff_id is not None:
        staff = await session.get(Staff, event.staff_id)
        lines.append(_("By: {name}").format(name=html.escape(staff.name if staff else "—")))
    elif event.contact_id is not None:
        lines.append(_("By the customer"))
    if event.text:
        lines += ["", html.escape(clip(event.text, 3000))]
    await topics.post(session, complaint, f"status:{event.id}", "\n".join(lines))
    if complaint.status == S.CLOSED:
        await topics.set_closed(session, complaint, f"status:{event.id}", True)


async def rating_posted(session: AsyncSession, complaint: Complaint, default_locale: Locale) -> None:
    _ = gettext_for(default_locale)
    lines = [_("The customer rated the handling {score} of 5.").format(score=complaint.satisfaction)]
    key = f"rating:{complaint.satisfaction}"
    if complaint.satisfaction_comment:
        lines += ["", html.escape(clip(complaint.satisfaction_comment, 2000))]
        key += ":comment"
    await topics.post(session, complaint, key, "\n".join(lines))


async def customer_said(
    session: AsyncSession, complaint: Complaint, event: ComplaintEvent, text: str, default_locale: Locale
) -> None:
    """The customer's answer to the staff's question, posted into the topic."""
    _ = gettext_for(default_locale)
    head = _("The customer answered:")
    await topics.post(session, complaint, f"answer:{event.id}", f"{head}\n\n{html.escape(clip(text, 3500))}")


async def mail_posted(
    session: AsyncSession,
    complaint: Complaint,
    event: ComplaintEvent,
    contact: Contact,
    files: int,
    settings: Settings,
) -> None:
    """The customer's mail about their complaint, posted into the topic (its files stay with the
    complaint); after the close it reopens the topic for the staff to see."""
    _ = gettext_for(settings.default_locale)
    head = _("<b>{name}</b> (customer) wrote by e-mail:").format(
        name=html.escape(person_name(contact.name, _))
    )
    lines = [head, "", html.escape(clip(event.text or "", 3500))]
    if files:
        lines += ["", _("Files attached to the mail, kept with the complaint: {count}").format(count=files)]
    source = f"mail:{event.id}"
    if complaint.status == S.CLOSED:
        await topics.set_closed(session, complaint, source, False)
    await topics.post(session, complaint, source, "\n".join(lines))
