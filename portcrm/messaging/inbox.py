"""Received updates: written before they are handled, marked once handled, replayed after a crash.

A crash (kill -9, a lost machine) mid-handler leaves its update written and not handled; the next start
replays it. Telegram delivering an update again (a webhook retry, a replay racing a late original) finds
it handled and skips it. An update whose handling has failed or crashed `MAX_ATTEMPTS` times is given up,
so one poisonous update cannot stop the bot from starting.

Long polling has one process (Telegram refuses a second poller): `record` writes a fetched batch, `begin`
takes a replay or a retry, and nobody else can be handling the same update. Webhook instances can be
several, and Telegram may deliver one update to two of them at nearly the same moment (a redelivery racing
the first attempt), so each takes it with `claim`: one atomic statement that writes who takes it and until
when (`CLAIM_LEASE`), and succeeds only for an update not handled, with attempts left, and not claimed by
anyone else now. The holder renews the claim while it handles (`renew`) and gives it back when it leaves
the update to Telegram's redelivery (`release`); a crashed instance's claim lapses, and the redelivery
after that takes the update again (as a further attempt). An instance that finds a live claim raises
`ClaimedElsewhere`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.models import ReceivedUpdate
from portcrm.models.base import utcnow
from portcrm.storage.db import upsert_into
from portcrm.storage.transaction import transactional

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
KEEP_HANDLED = dt.timedelta(days=7)
# A webhook instance's claim on an update it handles, renewed every third of it while the handler runs: an
# update a crashed instance held waits this long at most for Telegram's redelivery to be taken again, and
# its chat's later updates wait behind it (a button pressed meanwhile must be answered within 15 s).
CLAIM_LEASE = dt.timedelta(seconds=10)
# Core over the table: every update is written and marked here, and ORM objects would be made for nothing
_UPDATES = ReceivedUpdate.__table__
_updates = _UPDATES.c


class ClaimedElsewhere(Exception):
    """Another webhook instance holds a live claim on the update: it is handling it now."""

    def __init__(self, update_id: int, by: str | None, until: dt.datetime) -> None:
        holder = by or "another instance"
        super().__init__(f"update {update_id} is claimed by {holder} until {until:%H:%M:%S} UTC")
        self.update_id, self.by, self.until = update_id, by, until


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
    insert = upsert_into(session, _UPDATES).values(rows).on_conflict_do_nothing()
    written = await session.scalars(insert.returning(_updates.update_id))
    taken = set(written)
    return taken


@transactional
async def begin(session: AsyncSession, update_id: int, payload: dict[str, Any]) -> int:
    """Take an update for handling, in the one process that polls: which attempt this is, or 0 when
    handled already or failed too often. Claims are not looked at: nobody else handles a polled update
    (a webhook instance takes its updates with `claim`)."""
    now = utcnow()
    taken = await session.scalar(  # written before and not handled: a replay or a redelivery
        update(_UPDATES)
        .where(
            _updates.update_id == update_id,
            _updates.handled_at.is_(None),
            _updates.attempts < MAX_ATTEMPTS,
        )
        .values(attempts=_updates.attempts + 1, started_at=now)
        .returning(_updates.attempts)
        .execution_options(synchronize_session=False)
    )
    if taken is None:
        taken = await session.scalar(
            upsert_into(session, _UPDATES)
            .values(update_id=update_id, payload=payload, received_at=now, started_at=now, attempts=1)
            .on_conflict_do_nothing()
            .returning(_updates.attempts)
        )
    if taken is None:  # handled already, or failed too often
        await _give_up(session, update_id, now, claimed=False)
    return taken or 0


@transactional
async def claim(
    session: AsyncSession,
    update_id: int,
    payload: dict[str, Any],
    *,
    by: str,
    lease: dt.timedelta = CLAIM_LEASE,
) -> int:
    """Take an update Telegram delivered by webhook, which another instance may be taking at the same
    moment: which attempt this is, or 0 when it is handled already or failed too often; raises
    `ClaimedElsewhere` while another instance holds a live claim on it.

    One statement takes it, on both databases: an INSERT of a new update, or on conflict an UPDATE of the
    row, only if it is unhandled, has attempts left and its claim is free or lapsed. It is atomic: on
    PostgreSQL a concurrent claim of the same update waits for the first to commit and then finds the
    conditions false against the row that one wrote (ON CONFLICT DO UPDATE re-checks its WHERE on the
    latest row, whatever the snapshot); on SQLite every write transaction holds the database's lock. A new
    update costs this one statement; a redelivery not taken, a second one that says why.
    """
    now = utcnow()
    claimed = {"claimed_by": by[:64], "claimed_until": now + lease, "started_at": now}
    take = (
        upsert_into(session, _UPDATES)
        .values(update_id=update_id, payload=payload, received_at=now, attempts=1, **claimed)
        .on_conflict_do_update(
            index_elements=[_updates.update_id],
            set_={"attempts": _updates.attempts + 1, **claimed},
            where=and_(
                _updates.handled_at.is_(None),
                _updates.attempts < MAX_ATTEMPTS,
                _claim_free(now),
            ),
        )
        .returning(_updates.attempts)
    )
    taken = await session.scalar(take)
    if taken is not None:
        return int(taken)
    row = (
        await session.execute(
            select(_updates.handled_at, _updates.claimed_by, _updates.claimed_until).where(
                _updates.update_id == update_id
            )
        )
    ).one_or_none()
    if row is None or row.handled_at is not None:  # handled (and maybe pruned since)
        return 0
    if row.claimed_until is not None and row.claimed_until > now:
        raise ClaimedElsewhere(update_id, row.claimed_by, row.claimed_until)
    await _give_up(session, update_id, now)  # attempts used up, and nobody is at it any more
    return 0


def _claim_free(now: dt.datetime) -> ColumnElement[bool]:
    return or_(_updates.claimed_until.is_(None), _updates.claimed_until <= now)


async def _give_up(session: AsyncSession, update_id: int, now: dt.datetime, *, claimed: bool = True) -> None:
    """Mark an update that failed `MAX_ATTEMPTS` times handled; with `claimed`, not while an instance holds
    a live claim on it (its last attempt may yet succeed)."""
    given_up = await session.execute(
        update(_UPDATES)
        .where(
            _updates.update_id == update_id,
            _updates.handled_at.is_(None),
            _updates.attempts >= MAX_ATTEMPTS,
            *([_claim_free(now)] if claimed else []),
        )
        .values(handled_at=now)
        .execution_options(synchronize_session=False)
    )
    if given_up.rowcount:  # type: ignore[attr-defined]
        log.error("update %s failed %s times; given up", update_id, MAX_ATTEMPTS)


@transactional
async def renew(
    session: AsyncSession, update_id: int, attempt: int, lease: dt.timedelta = CLAIM_LEASE
) -> bool:
    """Extend the claim of `attempt` on an update still being handled; False when it is not ours any more
    (it lapsed and another instance took the update, or it was marked handled)."""
    renewed = await session.execute(
        update(_UPDATES)
        .where(
            _updates.update_id == update_id,
            _updates.attempts == attempt,  # each claim counts an attempt: this one is ours
            _updates.handled_at.is_(None),
        )
        .values(claimed_until=utcnow() + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(renewed.rowcount)  # type: ignore[attr-defined]


@transactional
async def release(session: AsyncSession, update_id: int, attempt: int) -> None:
    """Give back the claim of `attempt` on an update left unhandled for Telegram to deliver again, so that
    the redelivery is taken at once, whichever instance it reaches."""
    await session.execute(
        update(_UPDATES)
        .where(
            _updates.update_id == update_id,
            _updates.attempts == attempt,
            _updates.handled_at.is_(None),
        )
        .values(claimed_until=None)
        .execution_options(synchronize_session=False)
    )


@transactional
async def finish(session: AsyncSession, update_ids: Sequence[int]) -> None:
    """Mark updates handled, in one statement."""
    await session.execute(
        update(_UPDATES)
        .where(_updates.update_id.in_(update_ids))
        .values(handled_at=utcnow())
        .execution_options(synchronize_session=False)
    )


@transactional
async def unhandled(session: AsyncSession, limit: int = 1000) -> list[tuple[dict[str, Any], dt.datetime]]:
    """Updates a crash cut off, oldest first, for replay (by the one process that polls, at its start), each
    with when it was first received (in UTC): a button press in it is at least that old."""
    rows = await session.execute(
        select(_updates.payload, _updates.received_at)
        .where(_updates.handled_at.is_(None))
        .order_by(_updates.update_id)
        .limit(limit)
    )
    return [(payload, at if at.tzinfo else at.replace(tzinfo=dt.UTC)) for payload, at in rows]


@transactional
async def all_handled(session: AsyncSession, update_ids: Sequence[int]) -> bool:
    """Whether each of these updates was written and handled (the demo waits for this between lines)."""
    if not update_ids:
        return True
    done = await session.scalars(
        select(_updates.update_id).where(_updates.update_id.in_(update_ids), _updates.handled_at.is_not(None))
    )
    return set(done) >= set(update_ids)


@transactional
async def prune(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """Forget updates handled more than `KEEP_HANDLED` ago (they only matter for redeliveries)."""
    result = await session.execute(
        delete(_UPDATES).where(_updates.handled_at < (now or utcnow()) - KEEP_HANDLED)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
