"""Received updates: written before they are handled, marked once handled, replayed after a crash.

A crash (kill -9, a lost machine) mid-handler leaves its update written and not handled; the next start
replays it. Telegram delivering an update again (a webhook retry, a replay racing a late original) finds
it handled and skips it. An update whose handling has failed or crashed `MAX_ATTEMPTS` times is given up,
so one poisonous update cannot stop the bot from starting.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.models import ReceivedUpdate
from portcrm.models.base import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
KEEP_HANDLED = dt.timedelta(days=7)


async def record(session: AsyncSession, updates: Sequence[dict[str, Any]]) -> None:
    """Write fetched updates (Telegram's JSON) in one transaction; ones already written stay as they are."""
    if not updates:
        return
    # each dialect's insert is imported where it runs: PostgreSQL's costs a SQLite bot 2 MB for nothing
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    rows = [{"update_id": u["update_id"], "payload": u, "received_at": now, "attempts": 0} for u in updates]
    await session.execute(insert(ReceivedUpdate).values(rows).on_conflict_do_nothing())
    await session.commit()


async def begin(session: AsyncSession, update_id: int, payload: dict[str, Any]) -> int:
    """Take an update for handling: which attempt this is, or 0 when handled already or failed too often."""
    row = await session.get(ReceivedUpdate, update_id, with_for_update=True)
    now = utcnow()
    if row is None:
        session.add(ReceivedUpdate(update_id=update_id, payload=payload, attempts=1, started_at=now))
        try:
            await session.commit()
        except IntegrityError:  # written meanwhile by whoever else is handling it
            await session.rollback()
            return 0
        return 1
    if row.handled_at is not None:
        await session.commit()
        return 0
    if row.attempts >= MAX_ATTEMPTS:
        log.error("update %s failed %s times; given up", update_id, row.attempts)
        row.handled_at = now
        await session.commit()
        return 0
    row.attempts += 1
    row.started_at = now
    attempt = row.attempts
    await session.commit()
    return attempt


async def finish(session: AsyncSession, update_id: int) -> None:
    row = await session.get(ReceivedUpdate, update_id, with_for_update=True)
    if row is not None:
        row.handled_at = utcnow()
    await session.commit()


async def unhandled(session: AsyncSession, limit: int = 1000) -> list[dict[str, Any]]:
    """Updates a crash cut off, oldest first, for replay (by the one process that polls, at its start)."""
    rows = await session.scalars(
        select(ReceivedUpdate.payload)
        .where(ReceivedUpdate.handled_at.is_(None))
        .order_by(ReceivedUpdate.update_id)
        .limit(limit)
    )
    result = list(rows)
    await session.commit()
    return result


async def prune(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """Forget updates handled more than `KEEP_HANDLED` ago (they only matter for redeliveries)."""
    result = await session.execute(
        delete(ReceivedUpdate).where(ReceivedUpdate.handled_at < (now or utcnow()) - KEEP_HANDLED)
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
