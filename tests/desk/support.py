"""A running bot with a forum supergroup as its complaint desk, a market colleague and a customer."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from portcrm.enums import ComplaintCategory, Role
from portcrm.models import Complaint, ComplaintTopic
from portcrm.services.complaints import topics
from portcrm.services.complaints.intake import ComplaintDraft, submit_complaint
from sandbox import BotAPISandbox, ForumTopic, SandboxGroup, SandboxUser, SentMessage
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot, running_bot

DESK = -1009000000001
STAFF_ID, ADMIN_ID, CUSTOMER_ID, STRANGER_ID = 8101, 8102, 8201, 8301


@dataclass
class Desk:
    app: RunningBot
    group: SandboxGroup
    staff: SandboxUser  # market department, writes in topics
    admin: SandboxUser  # admin role and group administrator
    customer: SandboxUser
    stranger: SandboxUser  # a group member who is not staff
    customer_id: int
    contact_id: int

    @property
    def sandbox(self) -> BotAPISandbox:
        return self.app.sandbox

    async def attach(self) -> int:
        async with self.app.db.session() as session:
            return await topics.attach(session, DESK, "test")

    async def file(self, description: str = "柜子晚到了三天") -> Complaint:
        async with self.app.db.session() as session:
            submission = await submit_complaint(
                session,
                ComplaintDraft(
                    key=uuid.uuid4().hex,
                    customer_id=self.customer_id,
                    contact_id=self.contact_id,
                    category=ComplaintCategory.STAFF_SERVICE,
                    description=description,
                ),
                tz=self.app.settings.tz,
                default_locale="en",
            )
        return submission.complaint

    async def topic_of(self, complaint_id: int) -> ForumTopic:
        """The complaint's topic, once the sender has created it."""
        async with asyncio.timeout(30):
            while True:
                async with self.app.db.session() as session:
                    thread = await session.scalar(
                        select(ComplaintTopic.message_thread_id).where(
                            ComplaintTopic.complaint_id == complaint_id
                        )
                    )
                    await session.commit()
                if thread is not None:
                    return next(t for t in self.sandbox.topics(self.group) if t.message_thread_id == thread)
                await self.sandbox.wait_for_news(self.sandbox.mark(), timeout=0.2)

    async def in_topic(self, thread: int, contains: str) -> SentMessage:
        """The bot's first message in the topic whose text or caption contains `contains`."""
        async with asyncio.timeout(30):
            while True:
                mark = self.sandbox.mark()
                for message in self.sandbox.messages(self.group):
                    if message.message_thread_id == thread and contains in (
                        message.text or message.caption or ""
                    ):
                        return message
                await self.sandbox.wait_for_news(mark, timeout=1)

    async def to_customer(self, contains: str) -> SentMessage:
        async with asyncio.timeout(30):
            while True:
                mark = self.sandbox.mark()
                for message in self.sandbox.messages(self.customer):
                    if contains in (message.text or message.caption or ""):
                        return message
                await self.sandbox.wait_for_news(mark, timeout=1)

    def post(self, user: SandboxUser, text: str, thread: int, **kwargs: Any) -> dict[str, Any]:
        return self.sandbox.send_text(TOKEN, user, text, chat=self.group, thread=thread, **kwargs)


def forum(sandbox: BotAPISandbox) -> None:
    group = sandbox.add_group(DESK, "投诉处理台", "supergroup", is_forum=True)
    bot = next(iter(sandbox.state.bots.values())).bot
    sandbox.make_admin(group, bot, can_manage_topics=True)


@contextlib.asynccontextmanager
async def running_desk(
    database_url: str, *, before_start: Callable[[BotAPISandbox], None] = forum, **settings: Any
) -> AsyncIterator[Desk]:
    async with running_bot(database_url, default_locale="en", before_start=before_start, **settings) as app:
        sandbox = app.sandbox
        group = sandbox.state.groups[DESK]
        staff = app.user(STAFF_ID, "Zhang", language_code="en")
        admin = app.user(ADMIN_ID, "Li", language_code="en")
        customer = app.user(CUSTOMER_ID, "Wang", language_code="en")
        stranger = app.user(STRANGER_ID, "Visitor", language_code="en")
        sandbox.make_admin(group, admin, creator=True)
        for person in (staff, admin, customer):
            sandbox.open_chat(TOKEN, person)
        async with app.db.session() as session:
            await make_staff(session, telegram_user_id=STAFF_ID, name="张市场", roles=(Role.MARKET,))
            await make_staff(session, telegram_user_id=ADMIN_ID, name="李管理", roles=(Role.ADMIN,))
            company = await make_customer(session, name="华海货代")
            contact = await make_contact(session, company, name="王芳", telegram_user_id=CUSTOMER_ID)
            await session.commit()
            ids = company.id, contact.id
        yield Desk(app, group, staff, admin, customer, stranger, *ids)
