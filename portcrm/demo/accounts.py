"""Who in the demo port has a Telegram account: the sandbox opens each one's chat, as if they had started the
bot before, so the pushes to people nobody is playing are delivered too (and not marked unreachable)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.models import Contact, Staff
from portcrm.storage.transaction import transactional


@transactional
async def telegram_accounts(session: AsyncSession) -> list[tuple[int, str]]:
    """(Telegram user id, name) of every staff member and contact with a linked account."""
    rows = [
        *await session.execute(select(Staff.telegram_user_id, Staff.name)),
        *await session.execute(select(Contact.telegram_user_id, Contact.name)),
    ]
    return [(user_id, name) for user_id, name in rows if user_id is not None]
