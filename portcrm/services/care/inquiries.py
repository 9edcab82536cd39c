"""Customers' free-text questions (/ask) to their account manager, and the answers relayed back.

A question goes to the customer's account manager; when there is none (or they left, or never opened the
chat) it goes to the whole market department, and any of its staff may answer. Each alert and the answer
are outbox rows written in the same transaction as the question or answer they carry.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from portcrm.i18n import gettext_for
from portcrm.messaging import outbox
from portcrm.models import ChatUser, Contact, Customer, Inquiry, Staff, StaffRole
from portcrm.models.base import utcnow
from portcrm.services.recipients.language import recipient_locale
from portcrm.settings import Locale
from portcrm.storage.transaction import transactional

log = logging.getLogger(__name__)

MAX_TEXT = 3000  # a question or an answer; the message around it stays well inside Telegram's 4096
MESSAGE_LIMIT = 4096  # Telegram's, in UTF-16 code units of the visible text
REPLY_PREFIX = (
    "inqr"  # the staff's Reply button, "inqr:<inquiry id>": bot/ui/callbacks/inquiries.py unpacks it
)
_NAME_LIMIT = 200
_QUOTE_LIMIT = 300
_MAX_ID = 2**63 - 1


class InquiryNotFound(NotFound):
    message = N_("That question was not found.")


class NotYourInquiry(Forbidden):
    message = N_("Sorry, this question was sent to another colleague, so only they can answer it.")


class AlreadyAnswered(Conflict):
    message = N_("This question has already been answered by {name}.")


@dataclass(frozen=True, slots=True)
class SubmittedInquiry:
    inquiry: Inquiry
    account_manager: str | None  # None: the question went to the market department


@dataclass(frozen=True, slots=True)
class InquiryCard:
    inquiry: Inquiry
    company: str
    contact: str | None
    delivered: bool = False  # the answer was sent to the contact's chat (they are linked to Telegram)


def check_text(text: str | None) -> str:
    """A question, answer or comment as typed (stored verbatim), refused when empty or too long."""
    if not text or not text.strip():
        raise InvalidInput(N_("Please write a few words."))
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            N_("Too long: {length} characters, the limit is {limit}. Please shorten it and send it again."),
            length=len(text),
            limit=MAX_TEXT,
        )
    return text


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def clip_units(text: str, limit: int) -> str:
    """At most `limit` UTF-16 code units (Telegram's unit: an emoji counts two), ending in "…" when cut."""
    if utf16_len(text) <= limit:
        return text
    out, used = [], 1  # the ellipsis
    for char in text:
        used += utf16_len(char)
        if used > limit:
            break
        out.append(char)
    return "".join(out) + "…"


def with_body(head: list[str], body: str, tail: list[str]) -> str:
    """Head and tail lines around an escaped user text, clipped so the message fits Telegram's limit.

    Markup and entities only make the source longer than what Telegram counts, so measuring the source
    of the frame is safe.
    """
    frame = "\n".join([*head, "", "", *tail])
    room = MESSAGE_LIMIT - utf16_len(frame) - 8
    return "\n".join([*head, "", html.escape(clip_units(body, room)), "", *tail])


@transactional
async def submit_inquiry(
    session: AsyncSession,
    customer_id: int,
    contact_id: int | None,
    text: str,
    *,
    default_locale: Locale,
) -> SubmittedInquiry:
    """Store the question and alert its recipients in one transaction."""
    question = check_text(text)
    customer = await session.get(Customer, customer_id)
    contact = await session.get(Contact, contact_id) if contact_id else None
    if customer is None or (contact is not None and contact.customer_id != customer.id):
        raise NotFound()
    manager = await session.get(Staff, customer.account_manager_id) if customer.account_manager_id else None
    if manager is not None and not (manager.active and manager.telegram_user_id is not None):
        manager = None  # left the port, or has no Telegram account on file: the department takes it
    recipients = [manager] if manager else await _market_staff(session)
    inquiry = Inquiry(
        customer_id=customer.id,
        contact_id=contact.id if contact else None,
        staff_id=manager.id if manager else None,
        text=question,
    )
    session.add(inquiry)
    await session.flush()
    for member in recipients:
        await _alert(session, inquiry, member, customer, contact, default_locale)
    if not recipients:
        log.warning("inquiry %s of customer %s has nobody to alert", inquiry.id, customer.id)
    log.info("inquiry %s from customer %s to staff %s", inquiry.id, customer.id, inquiry.staff_id)
    return SubmittedInquiry(inquiry, manager.name if manager else None)


@transactional
async def inquiry_to_answer(session: AsyncSession, inquiry_id: int, staff_id: int) -> InquiryCard:
    """Check a Reply button before asking for the answer: this staff member's to answer, still open."""
    inquiry = await _answerable(session, inquiry_id, staff_id)
    customer = await session.get(Customer, inquiry.customer_id)
    contact = await session.get(Contact, inquiry.contact_id) if inquiry.contact_id else None
    return InquiryCard(inquiry, customer.name if customer else "", contact.name if contact else None)


@transactional
async def answer_inquiry(
    session: AsyncSession, inquiry_id: int, staff_id: int, text: str, *, default_locale: Locale
) -> InquiryCard:
    """Store the answer and send it to the contact who asked, signed with the staff member's name."""
    inquiry = await _answerable(session, inquiry_id, staff_id)
    answer = check_text(text)
    staff = await session.get(Staff, staff_id)
    assert staff is not None  # _answerable checked
    inquiry.answer, inquiry.answered_by_id, inquiry.answered_at = answer, staff.id, utcnow()
    customer = await session.get(Customer, inquiry.customer_id)
    contact = await session.get(Contact, inquiry.contact_id) if inquiry.contact_id else None
    delivered = contact is not None and contact.telegram_user_id is not None
    if contact is not None and contact.telegram_user_id is not None:
        chat_user = await session.get(ChatUser, contact.telegram_user_id)
        _ = gettext_for(recipient_locale(chat_user, contact.locale, default_locale))
        head = [
            _("<b>Answer to your question</b>"),
            f"<blockquote>{html.escape(clip_units(inquiry.text, _QUOTE_LIMIT))}</blockquote>",
        ]
        sign = _("— {name}").format(name=html.escape(clip_units(staff.name, _NAME_LIMIT)))
        await outbox.enqueue(
            session,
            key=f"inquiry:{inquiry.id}:answer",
            kind="inquiry_answer",
            chat_id=contact.telegram_user_id,
            text=with_body(head, answer, [sign]),
            contact_id=contact.id,
        )
    log.info("inquiry %s answered by staff %s", inquiry.id, staff.id)
    return InquiryCard(
        inquiry, customer.name if customer else "", contact.name if contact else None, delivered
    )


async def _answerable(session: AsyncSession, inquiry_id: int, staff_id: int) -> Inquiry:
    inquiry = (
        await session.get(Inquiry, inquiry_id, with_for_update=True) if 0 < inquiry_id <= _MAX_ID else None
    )
    if inquiry is None:
        raise InquiryNotFound()
    staff = await session.get(Staff, staff_id)
    if staff is None or not staff.active:
        raise NotYourInquiry()
    allowed = staff.id == inquiry.staff_id if inquiry.staff_id is not None else Role.MARKET in staff.role_set
    if not allowed:
        raise NotYourInquiry()
    if inquiry.answer is not None:
        by = await session.get(Staff, inquiry.answered_by_id) if inquiry.answered_by_id else None
        raise AlreadyAnswered(name=by.name if by else "—")
    return inquiry


async def _market_staff(session: AsyncSession) -> list[Staff]:
    market = select(StaffRole.staff_id).where(StaffRole.role == Role.MARKET)
    rows = await session.scalars(
        select(Staff)
        .where(Staff.active.is_(True), Staff.telegram_user_id.is_not(None), Staff.id.in_(market))
        .order_by(Staff.id)
    )
    return list(rows)


async def _alert(
    session: AsyncSession,
    inquiry: Inquiry,
    member: Staff,
    customer: Customer,
    contact: Contact | None,
    default_locale: Locale,
) -> None:
    assert member.telegram_user_id is not None
    chat_user = await session.get(ChatUser, member.telegram_user_id)
    _ = gettext_for(recipient_locale(chat_user, None, default_locale))
    head = [
        _("<b>Question from a customer</b>"),
        _("Company: {company}").format(company=html.escape(clip_units(customer.name, _NAME_LIMIT))),
        _("Contact: {contact}").format(
            contact=html.escape(clip_units(contact.name, _NAME_LIMIT) if contact else "—")
        ),
    ]
    if inquiry.staff_id is None:
        head.append(_("Sent to the market department: any of you may answer."))
    await outbox.enqueue(
        session,
        key=f"inquiry:{inquiry.id}:{member.id}",
        kind="inquiry",
        chat_id=member.telegram_user_id,
        text=with_body(head, inquiry.text, [_("Press Reply to answer.")]),
        reply_markup=outbox.inline_keyboard([(_("Reply"), f"{REPLY_PREFIX}:{inquiry.id}")]),
        staff_id=member.id,
    )
