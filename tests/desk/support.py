"""A running bot with a forum supergroup as its complaint desk, a market colleague and a customer."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from portcrm.enums import ComplaintCategory, Role
from portcrm.models import Complaint, ComplaintTopic
from portcrm.services.complaints import topics
from portcrm.services.complaints.intake import ComplaintDraft, submit_complaint
from sandbox import BotAPISandbox, ForumTopic, Mark, SandboxGroup, SandboxUser, SentMessage
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot, running_bot

DESK = -1009000000001
STAFF_ID, ADMIN_ID, CUSTOMER_ID, STRANGER_ID = 8101, 8102, 8201, 8301


def polls(seconds: float = 45.0) -> Iterator[None]:
    """Until the deadline (the sandbox's waits swallow an outer asyncio.timeout's cancellation, so a
    deadline is counted here)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        yield


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
        for _ in polls():
            async with self.app.db.session() as session:
                thread = await session.scalar(
                    select(ComplaintTopic.message_thread_id).where(
                        ComplaintTopic.complaint_id == complaint_id
                    )
                )
                await session.commit()
            if thread is not None:
                return next(t for t in self.sandbox.topics(self.group) if t.message_thread_id == thread)
            await self.news(self.sandbox.mark(), 0.2)
        raise AssertionError(f"complaint {complaint_id} got no topic")

    async def in_topic(self, thread: int, contains: str) -> SentMessage:
        """The bot's first message in the topic whose text or caption contains `contains`."""
        for _ in polls():
            mark = self.sandbox.mark()
            for message in self.sandbox.messages(self.group):
                if message.message_thread_id == thread and contains in (
                    message.text or message.caption or ""
                ):
                    return message
            await self.news(mark)
        raise AssertionError(f"nothing with {contains!r} in topic {thread}")

    async def to_customer(self, contains: str) -> SentMessage:
        for _ in polls():
            mark = self.sandbox.mark()
            for message in self.sandbox.messages(self.customer):
                if contains in (message.text or message.caption or ""):
                    return message
            await self.news(mark)
        raise AssertionError(f"nothing with {contains!r} reached the customer")

    async def until(self, check: Callable[[], bool], what: str) -> None:
        """Until `check()` holds (the group's messages are paced: 3 at once, then one every 3.75 s)."""
        for _ in polls():
            mark = self.sandbox.mark()
            if check():
                return
            await self.news(mark)
        raise AssertionError(f"never: {what}")

    def topic(self, thread: int) -> ForumTopic:
        return next(t for t in self.sandbox.topics(self.group) if t.message_thread_id == thread)

    async def news(self, mark: Mark, seconds: float = 1.0) -> None:
        """Until the bot does something after `mark` (callback answers so far do not count: the sandbox's
        wait would return at once for them, and a loop around it would starve the bot)."""
        await self.sandbox.wait_for_news(mark, answers=len(self.sandbox.callback_answers), timeout=seconds)

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
