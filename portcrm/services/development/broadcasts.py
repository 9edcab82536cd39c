"""Marketing broadcasts to a segment of customers: who may receive one, and its enqueueing.

Only contacts who agreed to marketing messages (consent_marketing, PIPL) of active customers, linked to
Telegram and not blocking the bot, receive one. Each recipient gets one outbox row keyed by the broadcast's
id, so pressing Confirm twice sends once; the outbox sender paces delivery within Telegram's limits.
"""

from __future__ import annotations

import html
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CustomerStatus, CustomerType, Grade, Role
from portcrm.errors import N_, Forbidden, InvalidInput
from portcrm.messaging import outbox
from portcrm.models import ChatUser, Contact, Customer, Staff
from portcrm.storage.transaction import transactional

log = logging.getLogger(__name__)
MAX_TEXT = 3000


@dataclass(frozen=True, slots=True)
class Segment:
    customer_type: CustomerType | None = None  # None: every type
    grade: Grade | None = None  # None: every grade


@dataclass(frozen=True, slots=True)
class Recipient:
    contact_id: int
    chat_id: int


def check_text(raw: str | None) -> str:
    text = (raw or "").strip()
    if not text:
        raise InvalidInput(N_("The message is empty. Type the text to send."))
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            N_("The message is too long ({length} characters; at most {limit})."),
            length=len(text),
            limit=MAX_TEXT,
        )
    return text


def rendered(text: str) -> str:
    """The message exactly as recipients get it: their words, never markup."""
    return html.escape(text, quote=False)


async def recipients(session: AsyncSession, segment: Segment) -> list[Recipient]:
    query = (
        select(Contact.id, Contact.telegram_user_id)
        .join(Customer, Customer.id == Contact.customer_id)
        .outerjoin(ChatUser, ChatUser.telegram_user_id == Contact.telegram_user_id)
        .where(
            Customer.status == CustomerStatus.ACTIVE,
            Contact.consent_marketing.is_(True),
            Contact.telegram_user_id.is_not(None),
            ChatUser.blocked_at.is_(None),
        )
        .order_by(Contact.id)
    )
    if segment.customer_type is not None:
        query = query.where(Customer.type == segment.customer_type)
    if segment.grade is not None:
        query = query.where(Customer.grade == segment.grade)
    return [Recipient(contact_id, chat_id) for contact_id, chat_id in await session.execute(query)]


@transactional
async def count_recipients(session: AsyncSession, segment: Segment) -> int:
    return len(await recipients(session, segment))


@transactional
async def send_broadcast(
    session: AsyncSession, admin_id: int, broadcast_id: str, segment: Segment, text: str
) -> int:
    """Enqueue the broadcast for everyone in the segment; returns how many were newly enqueued."""
    admin = await session.get(Staff, admin_id)
    if admin is None or not admin.active or Role.ADMIN not in admin.role_set:
        raise Forbidden()
    key = str(uuid.UUID(broadcast_id))  # the draft's own id; never a user's text in a key
    body = rendered(check_text(text))
    added = 0
    for recipient in await recipients(session, segment):
        added += await outbox.enqueue(
            session,
            key=f"broadcast:{key}:{recipient.contact_id}",
            kind="broadcast",
            chat_id=recipient.chat_id,
            text=body,
            contact_id=recipient.contact_id,
        )
    log.info("broadcast %s to %s enqueued %s messages (admin %s)", key, segment, added, admin_id)
    return added
