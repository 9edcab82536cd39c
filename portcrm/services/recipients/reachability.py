"""Users who blocked the bot (or deleted their Telegram account), and who is told when they matter.

Nothing can be delivered to such a user until they return, so their pending notifications are given up
as unreachable and later ones are skipped without calling Telegram. When the user is a key contact of a
customer (primary or billing), invoices and reminders no longer reach the company: the account manager
is alerted once a day, so someone picks up the phone.
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
    """Mark the user blocked, give up their pending notifications; returns how many were given up."""
    now = utcnow()
    user = await session.get(ChatUser, telegram_user_id)
    if user is None:
        user = ChatUser(telegram_user_id=telegram_user_id, first_seen_at=now, last_seen_at=now)
        session.add(user)
    user.blocked_at = now
    given_up = await outbox.abandon_chat(session, telegram_user_id, reason)
    contact = await session.scalar(
        select(Contact).where(
            Contact.telegram_user_id == telegram_user_id,
            or_(Contact.is_primary.is_(True), Contact.is_billing.is_(True)),
        )
    )
    if contact is not None:
        await _alert_account_manager(session, contact, today, default_locale, market_chat_id)
    log.info("user %s is unreachable (%s); %s notifications given up", telegram_user_id, reason, given_up)
    return given_up


@transactional
async def record_returned(session: AsyncSession, telegram_user_id: int) -> None:
    """The user unblocked the bot: notifications reach them again from now on."""
    user = await session.get(ChatUser, telegram_user_id)
    if user is not None and user.blocked_at is not None:
        user.blocked_at = None


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
