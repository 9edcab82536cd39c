"""Two webhook instances behind one URL serve one desk: each complaint gets one topic and one card, and
each staff reply in a topic reaches the customer once, whichever instance takes the update."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import Counter

from sqlalchemy import select

from bot.runtime.webhook import Listen, serving
from portcrm.enums import ComplaintCategory, Role
from portcrm.models import ComplaintTopic
from portcrm.services.complaints import topics
from portcrm.services.complaints.intake import ComplaintDraft, submit_complaint
from portcrm.settings import Settings
from portcrm.storage.db import Database
from sandbox import BotAPISandbox
from tests.conftest import REDIS_URL, requires_pg, requires_redis
from tests.factories import make_contact, make_customer, make_staff
from tests.test_instances import RoundRobin, _settled, balancer

pytestmark = [requires_pg, requires_redis]

DESK, STAFF, CUSTOMER = -1009000000777, 9811, 9812
COMPLAINTS = 3  # each makes a topic and a card: 6 requests paced at the group's 16 a minute


async def _threads(db: Database, count: int) -> dict[int, int]:
    """complaint id -> its topic's thread, once all `count` have one."""
    async with asyncio.timeout(60):
        while True:
            async with db.session() as session:
                rows = (
                    await session.execute(
                        select(ComplaintTopic.complaint_id, ComplaintTopic.message_thread_id).where(
                            ComplaintTopic.message_thread_id.is_not(None)
                        )
                    )
                ).all()
                await session.commit()
            if len(rows) == count:
                return dict(rows)  # type: ignore[arg-type]
            await asyncio.sleep(0.1)


async def test_two_instances_make_one_topic_per_complaint_and_relay_each_reply_once(
    pg_database_url: str,
) -> None:
    token = f"{random.randrange(7_200_000, 7_299_999)}:PORTCRM-desk-instances"  # its own Redis keys
    db = Database(pg_database_url)
    async with db.session() as session:
        await make_staff(session, telegram_user_id=STAFF, name="张市场", roles=(Role.MARKET,))
        company = await make_customer(session, name="双实例货代")
        contact = await make_contact(session, company, name="王芳", telegram_user_id=CUSTOMER)
        await session.commit()
        company_id, contact_id = company.id, contact.id

    router = RoundRobin()
    async with BotAPISandbox() as sandbox, balancer(router) as url:
        bot = sandbox.add_bot(token, username="portcrm_desk_instances_bot")
        group = sandbox.add_group(DESK, "投诉处理台", "supergroup", is_forum=True)
        sandbox.make_admin(group, bot, can_manage_topics=True)
        staff, customer = sandbox.add_user(STAFF, "Zhang"), sandbox.add_user(CUSTOMER, "Wang")
        sandbox.state.bots[token].started.update({STAFF, CUSTOMER})
        settings = Settings(
            _env_file=None,
            bot_token=token,
            database_url=pg_database_url,
            telegram_api_url=sandbox.base_url,
            redis_url=REDIS_URL,
            run_scheduler=False,
            outbox_poll_seconds=0.05,
            default_locale="en",
        )
        async with contextlib.AsyncExitStack() as instances:
            for _ in range(2):
                router.ports.append(
                    await instances.enter_async_context(serving(settings, url, Listen("127.0.0.1", 0)))
                )
            async with db.session() as session:
                await topics.attach(session, DESK, "test")
                for n in range(COMPLAINTS):  # both instances' senders race for every topic
                    await submit_complaint(
                        session,
                        ComplaintDraft(
                            key=uuid.uuid4().hex,
                            customer_id=company_id,
                            contact_id=contact_id,
                            category=ComplaintCategory.DELAY,
                            description=f"第{n}个柜子晚到",
                        ),
                        tz=settings.tz,
                        default_locale="en",
                    )
            threads = await _threads(db, COMPLAINTS)
            for n, thread in enumerate(sorted(threads.values())):
                sandbox.send_text(token, staff, f"回复{n}：已处理", chat=group, thread=thread)
            async with asyncio.timeout(60):
                while sum("已处理" in (m.text or "") for m in sandbox.messages(customer, token)) < COMPLAINTS:
                    await sandbox.wait_for_news(sandbox.mark(), timeout=0.5)
            await _settled(db)  # every notification sent or given up: a duplicate would show now
        await db.dispose()

    assert len(set(router.served)) == 2, "the updates reached both instances"
    assert len(sandbox.created_topics) == COMPLAINTS, "one createForumTopic per complaint"
    cards = Counter(m.message_thread_id for m in sandbox.messages(group, token) if m.buttons)
    assert sorted(cards.values()) == [1] * COMPLAINTS, "one card per topic"
    replies = Counter(m.text for m in sandbox.messages(customer, token) if "已处理" in (m.text or ""))
    assert len(replies) == COMPLAINTS
    assert set(replies.values()) == {1}, "each reply relayed once"
    assert sandbox.violations == []
