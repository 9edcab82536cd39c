"""The desk within Telegram's limits: one topic per complaint when senders race, the SLA sweep's digest,
group pacing, and no request inside a retry_after window."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.delivery.digests import compose
from bot.delivery.topics import Deferred, TopicWork
from bot.runtime.app import build_bot
from portcrm.enums import ComplaintCategory, ComplaintStatus, Role
from portcrm.jobs.base import JobContext
from portcrm.jobs.complaint_sla import escalate
from portcrm.models import Complaint, ComplaintEvent, ComplaintTopic, DeskGroup
from portcrm.services.complaints import topics
from portcrm.storage.db import Database
from tests.desk.support import DESK, polls, running_desk
from tests.factories import make_staff

S = ComplaintStatus


async def test_two_senders_racing_for_a_topic_create_it_once(database_url: str) -> None:
    async with running_desk(database_url) as desk:
        complaint = await desk.file()  # before the desk: no desk rows, the bot's own sender stays out
        db = desk.app.db
        async with db.session() as session:  # the desk attached without queueing anything
            session.add(DeskGroup(id=1, chat_id=DESK, attached_by="test"))
            session.add(ComplaintTopic(complaint_id=complaint.id, chat_id=DESK))
            await session.commit()
        row = Row(
            id=0, chat_id=DESK, text="—", reply_markup=None, attempts=0, idempotency_key="k", action=None
        )
        card = {"op": "card", "complaint": complaint.id}
        bots = [build_bot(desk.app.settings) for _ in range(2)]
        works = [TopicWork(Database(database_url), bot, desk.app.settings) for bot in bots]
        try:
            outcomes = await asyncio.gather(
                *(work.perform(compose(DESK, [row]), card, None) for work in works), return_exceptions=True
            )
        finally:
            for work in works:
                await work.db.dispose()
                await work.bot.session.close()
        created = [o for o in outcomes if isinstance(o, Deferred) and o.requested]
        assert len(created) == 1, outcomes
        [other] = [o for o in outcomes if o is not created[0]]
        # the other waited for the claim, or (on a busy machine, the first already done) found the topic
        # and posted the card into it
        assert (isinstance(other, Deferred) and not other.requested) or isinstance(other, int), outcomes
        assert len(desk.sandbox.calls_to("createForumTopic")) == 1
        assert len(desk.sandbox.created_topics) == 1


@dataclass(frozen=True)
class Row:
    """A due notification as the sender reads it (`outbox.Due`)."""

    id: int
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None
    attempts: int
    idempotency_key: str
    action: dict[str, Any] | None


async def test_of_many_claims_at_once_one_wins(database_url: str) -> None:
    async with running_desk(database_url) as desk:
        complaint = await desk.file()
        async with desk.app.db.session() as session:
            session.add(ComplaintTopic(complaint_id=complaint.id, chat_id=DESK))
            await session.commit()
        databases = [Database(database_url) for _ in range(5)]

        async def claim(db: Database, n: int) -> bool:
            async with db.session() as session:
                won = await topics.claim_creation(session, complaint.id, f"owner-{n}")
                await session.commit()
                return won

        try:
            won = await asyncio.gather(*(claim(db, n) for n, db in enumerate(databases)))
        finally:
            for db in databases:
                await db.dispose()
        assert sorted(won) == [False] * 4 + [True]


async def _overdue(desk_db: Database, customer_id: int, count: int, at: dt.datetime) -> None:
    async with desk_db.session() as session:
        for n in range(count):
            complaint = Complaint(
                ticket=f"CP-2025-{n + 1:06d}",
                customer_id=customer_id,
                category=ComplaintCategory.DELAY,
                department=Role.OPERATIONS,
                description="晚了",
                status=S.SUBMITTED,
                created_at=at,
                updated_at=at,
            )
            session.add(complaint)
            await session.flush()
            session.add(
                ComplaintEvent(complaint_id=complaint.id, at=at, kind="created", to_status=S.SUBMITTED)
            )
        await session.commit()


async def test_an_sla_sweep_of_200_overdue_complaints_is_a_digest_within_the_group_limit(
    database_url: str,
) -> None:
    async with running_desk(database_url) as desk:
        desk.sandbox.flood.enabled = True  # Telegram's limits, 20 a minute in a group
        await desk.attach()
        async with desk.app.db.session() as session:  # the head of operations hears each escalation once
            await make_staff(session, telegram_user_id=8401, roles=(Role.OPERATIONS, Role.MANAGER))
            await session.commit()
        now = dt.datetime.now(desk.app.settings.tz)
        await _overdue(desk.app.db, desk.customer_id, 200, now - dt.timedelta(days=14))
        result = await escalate(JobContext(desk.app.db, desk.app.settings, now))
        assert result["overdue"] == 400, "both clocks of each"
        assert result["desk_digests"] >= 1
        digests = result["desk_digests"]
        async with asyncio.timeout(60):
            while (
                len([m for m in desk.sandbox.messages(desk.group) if "SLA escalations" in (m.text or "")])
                < digests
            ):
                await desk.news(desk.sandbox.mark())
        sent = [m for m in desk.sandbox.messages(desk.group) if "SLA escalations" in (m.text or "")]
        assert digests <= 5, "a few messages, not 200"
        assert all(m.message_thread_id is None for m in sent), "in the General topic"
        assert all(len(m.text or "") <= 4096 for m in sent)
        assert sum((m.text or "").count("⚠") for m in sent) == 200
        assert sum(1 for c in desk.sandbox.calls if c.params.get("chat_id") == str(DESK)) == digests
        assert [c for c in desk.sandbox.rejected if c.status == 429] == [], "the sender paced the group"
        again = await escalate(JobContext(desk.app.db, desk.app.settings, now + dt.timedelta(minutes=15)))
        assert again["desk_digests"] == 0, "each escalation told once"


async def test_titles_are_edited_when_their_bucket_changes_within_the_group_limit(database_url: str) -> None:
    async with running_desk(database_url) as desk:
        desk.sandbox.flood.enabled = True
        await desk.attach()
        filed = [await desk.file(f"投诉{n}") for n in range(2)]
        threads = [(await desk.topic_of(c.id)).message_thread_id for c in filed]
        for thread, complaint in zip(threads, filed, strict=True):
            await desk.in_topic(thread, complaint.ticket)
        later = dt.datetime.now(desk.app.settings.tz) + dt.timedelta(days=10)
        result = await escalate(JobContext(desk.app.db, desk.app.settings, later))
        assert result["desk_titles"] == 2
        for _ in polls(60):
            if all(t.name.endswith("overdue") for t in desk.sandbox.topics(desk.group)):
                break
            await desk.news(desk.sandbox.mark())
        assert all(t.name.endswith("overdue") for t in desk.sandbox.topics(desk.group))
        again = await escalate(JobContext(desk.app.db, desk.app.settings, later + dt.timedelta(minutes=15)))
        assert again["desk_titles"] == 0, "the bucket did not change"
        assert desk.sandbox.rejected == []


async def test_no_request_goes_into_a_retry_after_window_of_the_group(database_url: str) -> None:
    async with running_desk(database_url) as desk:
        desk.sandbox.faults.add("createForumTopic", 429, retry_after=2, chat_id=DESK)
        desk.sandbox.faults.add("sendMessage", 429, retry_after=2, chat_id=DESK)
        await desk.attach()
        complaint = await desk.file()
        thread = (await desk.topic_of(complaint.id)).message_thread_id
        await desk.in_topic(thread, complaint.ticket)
        assert len(desk.sandbox.created_topics) == 1
        assert [c.method for c in desk.sandbox.calls if c.status == 429] == [
            "createForumTopic",
            "sendMessage",
        ]
        # the harness asserts on leaving that no request arrived inside a window (sandbox.violations)
