"""A person's copy of their own personal data (PIPL, 个人信息保护法, art. 45: the right to consult and copy).

Everything is found from the Telegram account asking, never from an id a button carries, and every query
is bound to that one contact: another person's data, even a colleague's at the same company, is never read.
What it holds: the person's record in the archive (with what staff noted about them for relationship work),
their consents and requests, and what they did here: complaints they filed and their messages on them,
questions, survey answers, shipments followed, and the visits and calls they took part in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import N_
from portcrm.labels import (
    COMPLAINT_CATEGORY_NAMES,
    COMPLAINT_STATUS_NAMES,
    CONTACT_METHOD_NAMES,
    HISTORY_FIELD_NAMES,
    SERVQUAL_NAMES,
)
from portcrm.models import (
    ChatUser,
    Complaint,
    ComplaintEvent,
    Contact,
    Customer,
    Inquiry,
    PrivacyRequest,
    Shipment,
    ShipmentSubscription,
    Survey,
    SurveyAnswer,
    Visit,
)
from portcrm.services.archive.fields import CONTACT_FIELDS
from portcrm.services.exports.workbook import Label, Sheet
from portcrm.services.privacy.rights import DELETION, own_contact
from portcrm.storage.transaction import transactional

_FIELD = HISTORY_FIELD_NAMES["contacts"]
# the person's own record, in this order: what the archive holds about them
_RECORD = (
    "name",
    "title",
    "phone",
    "email",
    "birthday",
    "locale",
    "is_primary",
    "is_billing",
    "consent_greetings",
    "consent_marketing",
    "privacy_notice_at",
    "telegram_user_id",
    "interests",
    "education",
    "communication_style",
    "notes",
)
_REQUESTS = {DELETION: N_("Deletion of personal data")}


@transactional
async def personal_data(session: AsyncSession, telegram_user_id: int) -> list[Sheet]:
    """The sheets of the asking person's copy; NotFound when the account is linked to no contact."""
    contact = await own_contact(session, telegram_user_id)
    sheets = [await _record(session, contact)]
    for sheet in (
        await _complaints(session, contact.id),
        await _complaint_messages(session, contact.id),
        await _questions(session, contact.id),
        await _surveys(session, contact.id),
        await _visits(session, contact.id),
        await _followed(session, contact.id),
        await _requests(session, contact.id),
    ):
        sheets.append(sheet)
    return sheets


async def _record(session: AsyncSession, contact: Contact) -> Sheet:
    customer = await session.get(Customer, contact.customer_id)
    assert customer is not None  # the foreign key guarantees it
    chat_user = await session.get(ChatUser, contact.telegram_user_id) if contact.telegram_user_id else None
    locale = (chat_user.locale if chat_user else None) or contact.locale
    languages = CONTACT_FIELDS["locale"].choices or {}
    values: dict[str, Any] = {name: getattr(contact, name) for name in _RECORD}
    values["locale"] = languages.get(locale, locale) if locale else None
    values["telegram_user_id"] = str(contact.telegram_user_id) if contact.telegram_user_id else None
    rows: list[Sequence[Any]] = [[Label(N_("Company")), customer.name]]
    rows += [[Label(_FIELD[name]), values[name]] for name in _RECORD]
    rows.append([Label(N_("In the archive since")), contact.created_at])
    return Sheet(N_("Your data"), (N_("Item"), N_("Value")), rows)


async def _complaints(session: AsyncSession, contact_id: int) -> Sheet:
    found = await session.scalars(
        select(Complaint).where(Complaint.contact_id == contact_id).order_by(Complaint.created_at)
    )
    rows = [
        [
            c.ticket,
            c.created_at,
            Label(COMPLAINT_CATEGORY_NAMES[c.category]),
            Label(COMPLAINT_STATUS_NAMES[c.status]),
            c.description,
            c.satisfaction,
            c.satisfaction_comment,
        ]
        for c in found
    ]
    headers = (
        N_("Ticket"),
        N_("Filed at"),
        N_("Category"),
        N_("Status"),
        N_("Description"),
        N_("Satisfaction (1–5)"),
        N_("Your comment"),
    )
    return Sheet(N_("Your complaints"), headers, rows)


async def _complaint_messages(session: AsyncSession, contact_id: int) -> Sheet:
    found = await session.execute(
        select(Complaint.ticket, ComplaintEvent.at, ComplaintEvent.text)
        .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(ComplaintEvent.contact_id == contact_id, ComplaintEvent.text.is_not(None))
        .order_by(ComplaintEvent.at, ComplaintEvent.id)
    )
    rows = [list(row) for row in found]
    return Sheet(N_("Your complaint messages"), (N_("Ticket"), N_("Date and time"), N_("Message")), rows)


async def _questions(session: AsyncSession, contact_id: int) -> Sheet:
    found = await session.scalars(
        select(Inquiry).where(Inquiry.contact_id == contact_id).order_by(Inquiry.created_at)
    )
    rows = [[q.created_at, q.text, q.answered_at, q.answer] for q in found]
    headers = (N_("Asked at"), N_("Question"), N_("Answered at"), N_("Answer"))
    return Sheet(N_("Your questions"), headers, rows)


async def _surveys(session: AsyncSession, contact_id: int) -> Sheet:
    found = await session.execute(
        select(Survey.sent_at, Survey.completed_at, SurveyAnswer.dimension, SurveyAnswer.expectation)
        .add_columns(SurveyAnswer.perception, Survey.comment)
        .outerjoin(SurveyAnswer, SurveyAnswer.survey_id == Survey.id)
        .where(Survey.contact_id == contact_id)
        .order_by(Survey.sent_at, Survey.id, SurveyAnswer.id)
    )
    rows = [
        [sent, done, Label(SERVQUAL_NAMES[dimension]) if dimension else None, expected, perceived, comment]
        for sent, done, dimension, expected, perceived, comment in found
    ]
    headers = (
        N_("Sent at"),
        N_("Answered at"),
        N_("Dimension"),
        N_("Expectation"),
        N_("Perception"),
        N_("Your comment"),
    )
    return Sheet(N_("Your survey answers"), headers, rows)


async def _visits(session: AsyncSession, contact_id: int) -> Sheet:
    found = await session.execute(
        select(Visit.occurred_at, Visit.method)
        .where(Visit.contact_id == contact_id)
        .order_by(Visit.occurred_at)
    )
    rows = [[at, Label(CONTACT_METHOD_NAMES[method])] for at, method in found]
    return Sheet(N_("Visits and calls"), (N_("Date and time"), N_("How")), rows)


async def _followed(session: AsyncSession, contact_id: int) -> Sheet:
    found = await session.execute(
        select(Shipment.bl_number, Shipment.booking_ref, ShipmentSubscription.created_at)
        .join(Shipment, Shipment.id == ShipmentSubscription.shipment_id)
        .where(ShipmentSubscription.contact_id == contact_id)
        .order_by(ShipmentSubscription.created_at)
    )
    rows = [[bl or booking, since] for bl, booking, since in found]
    return Sheet(N_("Shipments you follow"), (N_("B/L or booking"), N_("Since")), rows)


async def _requests(session: AsyncSession, contact_id: int) -> Sheet:
    found = await session.scalars(
        select(PrivacyRequest).where(PrivacyRequest.contact_id == contact_id).order_by(PrivacyRequest.id)
    )
    rows = [
        [Label(_REQUESTS[r.kind]) if r.kind in _REQUESTS else r.kind, r.created_at, r.handled_at]
        for r in found
    ]
    return Sheet(N_("Your requests"), (N_("Request"), N_("Made at"), N_("Handled at")), rows)
