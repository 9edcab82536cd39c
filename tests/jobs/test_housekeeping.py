"""Received updates are forgotten a week after they were handled; unhandled ones are never forgotten."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from portcrm.jobs.base import JobContext
from portcrm.jobs.housekeeping import HOUSEKEEPING
from portcrm.messaging import inbox
from portcrm.models import ReceivedUpdate
from portcrm.models.base import utcnow
from portcrm.settings import Settings
from portcrm.storage.db import Database


async def test_updates_handled_over_a_week_ago_are_forgotten(db: Database) -> None:
    now = utcnow()
    async with db.session() as session:
        await inbox.record(session, [{"update_id": n, "message": {"text": str(n)}} for n in (1, 2, 3)])
        for update_id, handled in ((1, now - dt.timedelta(days=8)), (2, now - dt.timedelta(days=1))):
            await session.execute(
                update(ReceivedUpdate).where(ReceivedUpdate.update_id == update_id).values(handled_at=handled)
            )
        await session.commit()
    settings = Settings(_env_file=None)
    result = await HOUSEKEEPING.run(JobContext(db, settings, dt.datetime.now(settings.tz)))
    assert result == {"updates_forgotten": 1}
    async with db.session() as session:
        assert list(
            await session.scalars(select(ReceivedUpdate.update_id).order_by(ReceivedUpdate.update_id))
        ) == [2, 3]
