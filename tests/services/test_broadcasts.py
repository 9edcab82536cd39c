"""Broadcast recipients and enqueueing: consent, segment, reachability, and one message per key."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CustomerStatus, CustomerType, Grade, Role
from portcrm.errors import Forbidden, InvalidInput
from portcrm.models import ChatUser, Notification
from portcrm.models.base import utcnow
from portcrm.services.development.broadcasts import Segment, check_text, count_recipients, send_broadcast
from tests.factories import make_contact, make_customer, make_staff


async def _seed(session: AsyncSession) -> tuple[int, int]:
    admin = await make_staff(session, roles=(Role.ADMIN,))
    a = await make_customer(session, grade=Grade.A)
    line = await make_customer(session, grade=Grade.A, type=CustomerType.SHIPPING_LINE)
    gone = await make_customer(session, grade=Grade.A, status=CustomerStatus.TERMINATED)
    yes = await make_contact(session, a, telegram_user_id=9001, consent_marketing=True)
    await make_contact(session, a, telegram_user_id=9002, consent_marketing=False, is_primary=False)
    await make_contact(session, a, consent_marketing=True, is_primary=False)  # not on Telegram
    await make_contact(session, line, telegram_user_id=9003, consent_marketing=True)
    await make_contact(session, gone, telegram_user_id=9004, consent_marketing=True)
    await make_contact(session, line, telegram_user_id=9005, consent_marketing=True, is_primary=False)
    session.add(ChatUser(telegram_user_id=9005, blocked_at=utcnow()))
    await session.commit()
    return admin.id, yes.id


async def test_only_consenting_reachable_contacts_of_active_customers_count(session: AsyncSession) -> None:
    await _seed(session)
    assert await count_recipients(session, Segment()) == 2
    assert await count_recipients(session, Segment(customer_type=CustomerType.FORWARDER)) == 1
    assert await count_recipients(session, Segment(grade=Grade.B)) == 0


async def test_a_broadcast_is_enqueued_once_per_contact_however_often_confirmed(
    session: AsyncSession,
) -> None:
    admin_id, contact_id = await _seed(session)
    broadcast_id = str(uuid.uuid4())
    segment = Segment(customer_type=CustomerType.FORWARDER, grade=Grade.A)
    assert await send_broadcast(session, admin_id, broadcast_id, segment, "新航线 <开通>") == 1
    assert await send_broadcast(session, admin_id, broadcast_id, segment, "新航线 <开通>") == 0
    [row] = list(await session.scalars(select(Notification)))
    assert (row.kind, row.chat_id, row.contact_id) == ("broadcast", 9001, contact_id)
    assert row.idempotency_key == f"broadcast:{broadcast_id}:{contact_id}"
    assert row.text == "新航线 &lt;开通&gt;"


async def test_non_admins_and_bad_text_enqueue_nothing(session: AsyncSession) -> None:
    await _seed(session)
    market = await make_staff(session, roles=(Role.MARKET, Role.MANAGER))
    await session.commit()
    with pytest.raises(Forbidden):
        await send_broadcast(session, market.id, str(uuid.uuid4()), Segment(), "hello")
    for text in ("", "   ", "x" * 3001):
        with pytest.raises(InvalidInput):
            check_text(text)
    assert await session.scalar(select(func.count(Notification.id))) == 0
