"""Who on the staff hears of something: a department, named people, or those holding several roles.

One place for the rule that a department with a configured group chat (PORTCRM_DEPARTMENT_CHATS) is told
there, once, and otherwise each active member on Telegram is told in their own language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.models import ChatUser, Staff, StaffRole
from portcrm.services.recipients.language import recipient_locale
from portcrm.settings import Locale, Settings


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where a staff alert goes: one person, or a department's group chat (staff_id None)."""

    chat_id: int
    locale: Locale
    tag: str  # names the recipient in idempotency keys: the staff id, or "chat<id>" for a group
    staff_id: int | None = None


async def department(session: AsyncSession, role: Role, settings: Settings) -> list[Recipient]:
    """The department's group chat when one is configured, else each active member on Telegram."""
    chat_id = settings.department_chats.get(role.value)
    if chat_id is not None:
        return [Recipient(chat_id, settings.default_locale, f"chat{chat_id}")]
    return await holding(session, {role}, settings)


async def holding(session: AsyncSession, roles: set[Role], settings: Settings) -> list[Recipient]:
    """Active staff on Telegram holding every role given (a department head: its role and manager)."""
    query = select(Staff.id)
    for role in roles:
        query = query.where(Staff.id.in_(select(StaffRole.staff_id).where(StaffRole.role == role)))
    ids = await session.scalars(query)
    return list((await staff_members(session, ids, settings.default_locale)).values())


async def staff_members(
    session: AsyncSession, staff_ids: Iterable[int | None], default_locale: Locale
) -> dict[int, Recipient]:
    """Those of the given staff who can be reached (active, on Telegram), by staff id, in their language."""
    ids = {i for i in staff_ids if i is not None}
    if not ids:
        return {}
    rows = await session.execute(
        select(Staff.id, Staff.telegram_user_id, ChatUser)
        .outerjoin(ChatUser, ChatUser.telegram_user_id == Staff.telegram_user_id)
        .where(Staff.id.in_(ids), Staff.active.is_(True), Staff.telegram_user_id.is_not(None))
        .order_by(Staff.id)
    )
    return {
        staff_id: Recipient(chat_id, recipient_locale(user, None, default_locale), str(staff_id), staff_id)
        for staff_id, chat_id, user in rows
    }
