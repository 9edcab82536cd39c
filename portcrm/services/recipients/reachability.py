"""Users the bot cannot write to yet (they blocked it, deleted their account or never started it), and who
is told when that matters.

Nothing can be delivered to such a user until they start the bot or unblock it, so their notifications are
parked rather than tried (portcrm/messaging/outbox.py `park_chat`), and handed back to the sender, in order,
when they return: their first update in a private chat (`identify`), or Telegram's `my_chat_member` saying
they unblocked the bot. An alert to a staff member who has never opened the bot thus reaches them once they
do. When a user who blocked the bot is a key contact of a customer (primary or billing), invoices and
reminders no longer reach the company meanwhile: the account manager is alerted once a day, so someone picks
up the phone.
"""

from __future__ import annotations

import datetime as dt
import html
import logging

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.errors import N_
from portcrm.i18n import gettext_for
from portcrm.messaging import outbox
from portcrm.models import ChatUser, Contact, Customer, Staff
from portcrm.models.base import utcnow
from portcrm.services.recipients.language import recipient_locale
from portcrm.settings import Locale
from portcrm.storage.transaction import transactional

log = logging.getLogger(__name__)

ALERT_KIND = "contact_unreachable"
ALERT = N_(
    "⚠️ {contact} of {company} can no longer receive messages from the bot: they blocked it or deleted "
    "their Telegram account. They are a key contact (primary or billing), so invoices, reminders and "
    "cargo news no longer reach them here. Please get in touch with them another way."
)
ALERT_PHONE = N_("Phone: {phone}")


@transactional
async def record_blocked(
    session: AsyncSession,
    telegram_user_id: int,
    *,
    reason: str,
    today: dt.date,
    default_locale: Locale,
    market_chat_id: int | None = None,
) -> int:
    """Mark the user unreachable and park their pending notifications; returns how many were parked."""
    parked = await _unreachable(session, telegram_user_id, reason)
    contact = await session.scalar(
        select(Contact).where(
            Contact.telegram_user_id == telegram_user_id,
            or_(Contact.is_primary.is_(True), Contact.is_billing.is_(True)),
        )
    )
    if contact is not None:
        await _alert_account_manager(session, contact, today, default_locale, market_chat_id)
    return parked


@transactional
async def record_not_started(session: AsyncSession, telegram_user_id: int, *, reason: str) -> int | None:
    """A user the bot has never been able to write to ("chat not found"): park their notifications until
    they start the bot; returns how many were parked.

    None when the user has written to the bot after all (their first update can cross the send that
    failed): their notifications stay pending for the sender to try again, rather than parked until a
    next update that may be long in coming.
    """
    user = await session.get(ChatUser, telegram_user_id)
    if user is not None and user.blocked_at is None:
        return None
    return await _unreachable(session, telegram_user_id, reason)


@transactional
async def record_returned(session: AsyncSession, telegram_user_id: int) -> int:
    """The user unblocked the bot: what was parked for them is due again; returns how many."""
    user = await session.get(ChatUser, telegram_user_id)
    if user is not None:
        user.blocked_at = None
    return await back_in_reach(session, telegram_user_id)


async def back_in_reach(session: AsyncSession, telegram_user_id: int) -> int:
    """In the caller's transaction: the user can be written to again; their parked notifications are due."""
    released = await outbox.release_parked(session, telegram_user_id)
    if released:
        log.info("user %s is reachable again; %s parked notifications released", telegram_user_id, released)
    return released


async def _unreachable(session: AsyncSession, telegram_user_id: int, reason: str) -> int:
    now = utcnow()
    user = await session.get(ChatUser, telegram_user_id)
    if user is None:  # never wrote to the bot: remembered, so later notifications are parked untried
        user = ChatUser(telegram_user_id=telegram_user_id, first_seen_at=now, last_seen_at=now)
        session.add(user)
    user.blocked_at = now
    parked = await outbox.park_chat(session, telegram_user_id, reason)
    log.info("user %s is unreachable (%s); %s notifications parked", telegram_user_id, reason, parked)
    return parked


async def _alert_account_manager(
    session: AsyncSession,
    contact: Contact,
    today: dt.date,
    default_locale: Locale,
    market_chat_id: int | None,
) -> None:
    """One alert a day per contact, to the account manager, else to the market department's group chat."""
    customer = await session.get(Customer, contact.customer_id)
    if customer is None:
        return
    manager = await session.get(Staff, customer.account_manager_id) if customer.account_manager_id else None
    if manager is not None and manager.active and manager.telegram_user_id is not None:
        chat_id, staff_id = manager.telegram_user_id, manager.id
        locale = recipient_locale(await session.get(ChatUser, chat_id), None, default_locale)
    elif market_chat_id is not None:
        chat_id, staff_id, locale = market_chat_id, None, default_locale
    else:
        log.warning(
            "key contact %s is unreachable and customer %s has nobody to tell", contact.id, customer.id
        )
        return
    _ = gettext_for(locale)
    lines = [_(ALERT).format(contact=html.escape(contact.name), company=html.escape(customer.name))]
    if contact.phone:
        lines.append(_(ALERT_PHONE).format(phone=html.escape(contact.phone)))
    await outbox.enqueue(
        session,
        key=f"unreachable:{contact.id}:{today.isoformat()}",
        kind=ALERT_KIND,
        chat_id=chat_id,
        text="\n".join(lines),
        contact_id=contact.id,
        staff_id=staff_id,
    )
