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

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.models import ReceivedUpdate
from portcrm.models.base import utcnow
from portcrm.storage.db import upsert_into
from portcrm.storage.transaction import transactional

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
KEEP_HANDLED = dt.timedelta(days=7)


@transactional
async def record(session: AsyncSession, updates: Sequence[dict[str, Any]]) -> set[int]:
    """Write fetched updates (Telegram's JSON) in one transaction, each taken for its first attempt; returns
    the ids written now. Ones written before stay as they are (a replay takes them with `begin`).

    Counting the first attempt from the fetch saves each update a transaction of its own before its
    handler, and errs on the safe side: an update a crash cut off before its turn has one try fewer left.
    """
    if not updates:
        return set()
    now = utcnow()
    rows = [
        {"update_id": u["update_id"], "payload": u, "received_at": now, "started_at": now, "attempts": 1}
        for u in updates
    ]
    insert = upsert_into(session, ReceivedUpdate).values(rows).on_conflict_do_nothing()
    written = await session.scalars(insert.returning(ReceivedUpdate.update_id))
    taken = set(written)
    return taken


@transactional
async def begin(session: AsyncSession, update_id: int, payload: dict[str, Any]) -> int:
    """Take an update for handling: which attempt this is, or 0 when handled already, written a moment ago
    by whoever else is handling it, or failed too often."""
    now = utcnow()
    taken = await session.scalar(  # written before and not handled: a replay or a redelivery
        update(ReceivedUpdate)
        .where(
            ReceivedUpdate.update_id == update_id,
            ReceivedUpdate.handled_at.is_(None),
            ReceivedUpdate.attempts < MAX_ATTEMPTS,
        )
        .values(attempts=ReceivedUpdate.attempts + 1, started_at=now)
        .returning(ReceivedUpdate.attempts)
        .execution_options(synchronize_session=False)
    )
    if taken is None:
        taken = await session.scalar(
            upsert_into(session, ReceivedUpdate)
            .values(update_id=update_id, payload=payload, received_at=now, started_at=now, attempts=1)
            .on_conflict_do_nothing()
            .returning(ReceivedUpdate.attempts)
        )
    if taken is None:  # handled already, just written by a twin, or failed too often
        given_up = await session.execute(
            update(ReceivedUpdate)
            .where(
                ReceivedUpdate.update_id == update_id,
                ReceivedUpdate.handled_at.is_(None),
                ReceivedUpdate.attempts >= MAX_ATTEMPTS,
            )
            .values(handled_at=now)
            .execution_options(synchronize_session=False)
        )
        if given_up.rowcount:  # type: ignore[attr-defined]
            log.error("update %s failed %s times; given up", update_id, MAX_ATTEMPTS)
    return taken or 0


@transactional
async def finish(session: AsyncSession, update_ids: Sequence[int]) -> None:
    """Mark updates handled, in one statement."""
    await session.execute(
        update(ReceivedUpdate)
        .where(ReceivedUpdate.update_id.in_(update_ids))
        .values(handled_at=utcnow())
        .execution_options(synchronize_session=False)
    )


@transactional
async def unhandled(session: AsyncSession, limit: int = 1000) -> list[dict[str, Any]]:
    """Updates a crash cut off, oldest first, for replay (by the one process that polls, at its start)."""
    rows = await session.scalars(
        select(ReceivedUpdate.payload)
        .where(ReceivedUpdate.handled_at.is_(None))
        .order_by(ReceivedUpdate.update_id)
        .limit(limit)
    )
    return list(rows)


@transactional
async def prune(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """Forget updates handled more than `KEEP_HANDLED` ago (they only matter for redeliveries)."""
    result = await session.execute(
        delete(ReceivedUpdate).where(ReceivedUpdate.handled_at < (now or utcnow()) - KEEP_HANDLED)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
