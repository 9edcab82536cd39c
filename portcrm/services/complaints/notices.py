"""Pushes about complaints, rendered in each recipient's language and added to the caller's transaction.

To the customer: each status change, with the buttons that answer it. To the staff: a new complaint (the
market department and the account manager), and each move the customer makes (the handler and the desk).

The payloads of their buttons are a contract with the chat edge: `bot/ui/callbacks/complaints.py` declares
the same prefixes and fields, and a test checks that every payload written here unpacks there.
"""

from __future__ import annotations

import enum
import html
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintStatus, Role
from portcrm.i18n import gettext_for
from portcrm.labels import COMPLAINT_CATEGORY_NAMES, COMPLAINT_STATUS_NAMES, ROLE_NAMES
from portcrm.messaging import outbox
from portcrm.models import ChatUser, Complaint, ComplaintEvent, Contact, Customer, Staff, StaffRole
from portcrm.services.complaints.mail_notices import answered_by_mail, mail_registered, mail_status
from portcrm.services.recipients.language import recipient_locale
from portcrm.services.recipients.staff_alerts import Recipient, department, staff_members
from portcrm.settings import Locale, Settings

S = ComplaintStatus
# "<prefix>:<field>[:<field>]", exactly as aiogram's CallbackData packs them
STAFF_CARD_PREFIX = "cpstf"  # complaint id
CUSTOMER_CARD_PREFIX = "cpopn"  # complaint id
CUSTOMER_STEP_PREFIX = "cpact"  # CustomerStep, complaint id
RATING_PREFIX = "cprat"  # complaint id, score 1-5
REGISTERED = "complaint_registered"  # the kind of the complainant's confirmation


class CustomerStep(enum.StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    REPLY = "reply"
    SKIP_COMMENT = "skip"
    WRITE = "write"  # a message, photo or file to the desk about the complaint


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def alert_market(
    session: AsyncSession, complaint: Complaint, customer: Customer, default_locale: Locale
) -> None:
    """Every active market colleague and the account manager hear of a new complaint at once."""
    market = select(StaffRole.staff_id).where(StaffRole.role == Role.MARKET)
    staff = list(
        await session.scalars(
            select(Staff)
            .where(Staff.active.is_(True), Staff.telegram_user_id.is_not(None))
            .where(Staff.id.in_(market) | (Staff.id == customer.account_manager_id))
            .order_by(Staff.id)
        )
    )
    contact = await session.get(Contact, complaint.contact_id) if complaint.contact_id else None
    users = await _chat_users(session, [s.telegram_user_id for s in staff if s.telegram_user_id])
    for member in staff:
        assert member.telegram_user_id is not None
        _ = gettext_for(recipient_locale(users.get(member.telegram_user_id), None, default_locale))
        lines = [
            _("<b>New complaint {ticket}</b>").format(ticket=complaint.ticket),
            _("Company: {company}").format(company=html.escape(customer.name)),
            _("Contact: {contact}").format(contact=html.escape(contact.name if contact else "—")),
            _("Category: {category}").format(category=_(COMPLAINT_CATEGORY_NAMES[complaint.category])),
            _("Department: {department}").format(department=_(ROLE_NAMES[complaint.department])),
            "",
            html.escape(clip(complaint.description, 600)),
        ]
        await outbox.enqueue(
            session,
            key=f"complaint:{complaint.id}:new:{member.id}",
            kind="complaint_new",
            chat_id=member.telegram_user_id,
            text="\n".join(lines),
            reply_markup=outbox.inline_keyboard(
                [(_("Open complaint"), f"{STAFF_CARD_PREFIX}:{complaint.id}")]
            ),
            staff_id=member.id,
        )


def registered_key(complaint_id: int) -> str:
    return f"complaint:{complaint_id}:registered"


async def confirm_to_complainant(session: AsyncSession, complaint: Complaint, default_locale: Locale) -> bool:
    """The complainant's "registered as CP-…" in their language, into the outbox; False without a chat.

    A complainant answered by mail (mail_notices.py) is sent a mail instead, and False is returned too:
    there is no chat message for a caller to hold."""
    contact = await session.get(Contact, complaint.contact_id) if complaint.contact_id else None
    if answered_by_mail(complaint, contact):
        assert contact is not None
        await mail_registered(session, complaint, contact, default_locale, registered_key(complaint.id))
        return False
    if contact is None or contact.telegram_user_id is None:
        return False
    chat_user = (await _chat_users(session, [contact.telegram_user_id])).get(contact.telegram_user_id)
    _ = gettext_for(recipient_locale(chat_user, contact.locale, default_locale))
    text = _(
        "Thank you. Your complaint is registered as <b>{ticket}</b>. We will keep you informed here; "
        "send /complaints to follow it."
    ).format(ticket=complaint.ticket)
    await outbox.enqueue(
        session,
        key=registered_key(complaint.id),
        kind=REGISTERED,
        chat_id=contact.telegram_user_id,
        text=text,
        contact_id=contact.id,
    )
    return True


async def notify_complainant(
    session: AsyncSession, complaint: Complaint, event: ComplaintEvent, default_locale: Locale
) -> None:
    """A status change told to the complainant in their language, with the buttons that answer it; by
    mail to one answered by mail."""
    contact = await session.get(Contact, complaint.contact_id) if complaint.contact_id else None
    if answered_by_mail(complaint, contact):
        assert contact is not None
        await mail_status(session, complaint, event, contact, default_locale)
        return
    if contact is None or contact.telegram_user_id is None:
        return
    chat_user = (await _chat_users(session, [contact.telegram_user_id])).get(contact.telegram_user_id)
    if chat_user is not None and chat_user.blocked_at is not None:
        return  # they blocked the bot: nothing reaches them until they come back
    _ = gettext_for(recipient_locale(chat_user, contact.locale, default_locale))
    status = _(COMPLAINT_STATUS_NAMES[complaint.status])
    lines = [_("Complaint <b>{ticket}</b>: {status}").format(ticket=complaint.ticket, status=status), ""]
    detail = html.escape(clip(event.text or "", 3000))
    buttons = [(_("Open complaint"), f"{CUSTOMER_CARD_PREFIX}:{complaint.id}")]
    step = f"{CUSTOMER_STEP_PREFIX}:{{}}:{complaint.id}"
    match complaint.status:
        case S.ACKNOWLEDGED:
            lines.append(_("We have received your complaint and a colleague is taking care of it."))
        case S.INVESTIGATING:
            lines.append(_("We are investigating the facts and the cause, and will come back to you."))
        case S.AWAITING_CUSTOMER:
            lines += [_("We need some information from you:"), detail, "", _("Press Reply to answer.")]
            buttons = [(_("Reply"), step.format(CustomerStep.REPLY))]
        case S.RESOLUTION_PROPOSED:
            lines += [_("We propose this resolution:"), detail, "", _("Do you accept it?")]
            buttons = [
                (_("Accept"), step.format(CustomerStep.ACCEPT)),
                (_("Reject"), step.format(CustomerStep.REJECT)),
            ]
        case S.RESOLVED:
            lines.append(_("Thank you for accepting the resolution. Your complaint is resolved."))
        case S.CLOSED:
            if complaint.corrective_action:  # the root cause stays internal; what we changed is theirs
                action = html.escape(clip(complaint.corrective_action, 1500))
                lines += [_("<b>What we changed</b>"), action, ""]
            lines.append(
                _("Your complaint is closed. How satisfied are you with how we handled it (1 to 5)?")
            )
            buttons = [(f"{score}★", f"{RATING_PREFIX}:{complaint.id}:{score}") for score in range(1, 6)]
    await outbox.enqueue(
        session,
        key=f"complaint:{complaint.id}:status:{event.id}",
        kind="complaint_status",
        chat_id=contact.telegram_user_id,
        text="\n".join(lines),
        reply_markup=outbox.inline_keyboard(buttons),
        contact_id=contact.id,
    )


async def desk_recipients(session: AsyncSession, complaint: Complaint, settings: Settings) -> list[Recipient]:
    """The complaint's handler (its assignee) and its department's group chat; the department's members
    when neither can be reached."""
    handler = await staff_members(session, [complaint.assigned_to_id], settings.default_locale)
    desk = await department(session, complaint.department, settings)
    group = [recipient for recipient in desk if recipient.staff_id is None]
    return [*handler.values(), *group] or desk


async def tell_desk(
    session: AsyncSession, complaint: Complaint, event: ComplaintEvent, words: str | None, settings: Settings
) -> None:
    """The customer's move (an answer, an acceptance, a rejection and its `words`) told to the handler and
    the desk at once, each in their language: the SLA clock runs again and the next step is theirs."""
    customer = await session.get(Customer, complaint.customer_id)
    said = html.escape(clip(words or "", 2000))
    for recipient in await desk_recipients(session, complaint, settings):
        _ = gettext_for(recipient.locale)
        company = _("Company: {company}").format(company=html.escape(customer.name if customer else "—"))
        if complaint.status == S.RESOLVED:
            head = _("<b>Complaint {ticket}</b>: the customer accepted the proposed resolution.")
            rest = [_("Close it with the root cause and the corrective action.")]
        elif event.from_status == S.RESOLUTION_PROPOSED:
            head = _("<b>Complaint {ticket}</b>: the customer rejected the proposed resolution.")
            rest = [
                _("Their reason:"),
                said,
                "",
                _("The investigation is open again and the SLA clock runs."),
            ]
        else:
            head = _("<b>Complaint {ticket}</b>: the customer answered the question.")
            rest = [said, "", _("The SLA clock runs again.")]
        await outbox.enqueue(
            session,
            key=f"complaint:{complaint.id}:desk:{event.id}:{recipient.tag}",
            kind="complaint_customer_move",
            chat_id=recipient.chat_id,
            text="\n".join([head.format(ticket=complaint.ticket), company, "", *rest]),
            reply_markup=outbox.inline_keyboard(
                [(_("Open complaint"), f"{STAFF_CARD_PREFIX}:{complaint.id}")]
            ),
            staff_id=recipient.staff_id,
        )


async def tell_desk_mail(
    session: AsyncSession, complaint: Complaint, event: ComplaintEvent, words: str, settings: Settings
) -> None:
    """The customer wrote about the complaint by mail (not as an answer we asked for): the handler and the
    desk hear of it, with their words."""
    customer = await session.get(Customer, complaint.customer_id)
    said = html.escape(clip(words, 2000))
    for recipient in await desk_recipients(session, complaint, settings):
        _ = gettext_for(recipient.locale)
        head = _("<b>Complaint {ticket}</b>: the customer wrote by e-mail.").format(ticket=complaint.ticket)
        company = _("Company: {company}").format(company=html.escape(customer.name if customer else "—"))
        await outbox.enqueue(
            session,
            key=f"complaint:{complaint.id}:desk:{event.id}:{recipient.tag}",
            kind="complaint_customer_mail",
            chat_id=recipient.chat_id,
            text="\n".join([head, company, "", said]),
            reply_markup=outbox.inline_keyboard(
                [(_("Open complaint"), f"{STAFF_CARD_PREFIX}:{complaint.id}")]
            ),
            staff_id=recipient.staff_id,
        )


async def _chat_users(session: AsyncSession, telegram_ids: Iterable[int]) -> dict[int, ChatUser]:
    ids = set(telegram_ids)
    if not ids:
        return {}
    rows = await session.scalars(select(ChatUser).where(ChatUser.telegram_user_id.in_(ids)))
    return {row.telegram_user_id: row for row in rows}
