"""The sender's work for a desk row (portcrm/services/complaints/topics.py): one Bot API request per row.

Why the sender and not a desk worker of its own: the desk group's requests must share the group's 20 a
minute with everything else sent there, and Telegram's retry_after windows with every request of the bot.
The sender already paces each group (rates.py), keeps every chat's order, claims each row for one send
across instances, retries and backs off (outcomes.py), and its session keeps every request out of the
windows (bot/telegram/retry_after.py). A desk row is one request like any message, so it is paced like one:

- a row whose topic does not exist yet becomes createForumTopic: the creation claim is taken first (one
  atomic UPDATE; a row whose claim another sender holds waits without a request), the thread id is saved in
  its own short transaction at once, and the row is `Deferred`: due again, it goes out in its topic at the
  group's next slot. The creation counts against the group like a message;
- "card": the complaint's desk card, rendered now (so it is current) with the desk's buttons;
- "post", "copy": a text, or a copy of the customer's (or the staff's) photo or file, into the topic, or for
  a copy to a customer, into their chat;
- "title", "close", "reopen": editForumTopic (skipped when the title is already so), closeForumTopic,
  reopenForumTopic (skipped when already so).

An ordinary private-chat notification never reaches this module: its `action` is None (no query, no call).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.delivery.digests import Outgoing
from bot.pipeline.i18n import DOMAIN
from portcrm.calendar import PortCalendar
from portcrm.models.base import utcnow
from portcrm.services.complaints import topics
from portcrm.services.complaints.desk import SEE_ALL, DeskUser
from portcrm.services.complaints.queue import desk_card
from portcrm.settings import Settings
from portcrm.storage.db import Database
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)
BUSY_RETRY = dt.timedelta(seconds=2)  # a topic another sender is creating: look again then
NOT_MODIFIED = "TOPIC_NOT_MODIFIED"


class Deferred(Exception):
    """The row is not sent now: due again after `delay`; `requested`: a request (the topic's creation)
    went out for it, and counts against the chat."""

    def __init__(self, delay: dt.timedelta, *, requested: bool) -> None:
        super().__init__("deferred")
        self.delay, self.requested = delay, requested


class TopicWork:
    """What the sender does for desk rows; built with the sender, used only when one comes."""

    def __init__(self, db: Database, bot: Bot, settings: Settings) -> None:
        self.db, self.bot, self.settings = db, bot, settings
        # unique across instances: two processes started alike can give their objects the same id(), and a
        # claim's owner may take its own claim again (topics.claim_creation)
        self.owner = f"sender:{uuid.uuid4().hex[:16]}:{bot.id}"
        self._calendar: PortCalendar | None = None
        self._i18n: I18n | None = None

    @property
    def calendar(self) -> PortCalendar:
        if self._calendar is None:
            self._calendar = PortCalendar(self.settings)
        return self._calendar

    async def perform(
        self, message: Outgoing, action: dict[str, Any], markup: InlineKeyboardMarkup | None
    ) -> int | None:
        op, complaint_id = action["op"], action.get("complaint")
        if complaint_id is None:  # a copy into a customer's chat
            return await self._copy(message.chat_id, None, action)
        async with self.db.session() as session, transaction(session):
            where = await topics.target(session, complaint_id)
        if where is None:  # the desk was attached to another group since: nothing to do
            return None
        thread = where.message_thread_id
        if thread is None:
            await self._create(where.chat_id, complaint_id)
        match op:
            case "card":
                return await self._card(message.chat_id, thread, complaint_id)
            case "post":
                sent = await self.bot.send_message(
                    message.chat_id, message.text, message_thread_id=thread, reply_markup=markup
                )
                return sent.message_id
            case "copy":
                return await self._copy(message.chat_id, thread, action)
            case "title":
                return await self._title(message.chat_id, thread, complaint_id, action["title"], where)
            case "close" | "reopen":
                if where.closed == (op == "close"):
                    return None  # already so: no request (Telegram would refuse it as not modified)
                return await self._open_or_close(message.chat_id, thread, complaint_id, op == "close")
        log.error("desk row %s has an unknown action %r", message.ids, action)
        return None

    async def _create(self, chat_id: int, complaint_id: int) -> None:
        """createForumTopic under the claim, the thread saved at once; always Deferred."""
        now = utcnow()
        async with self.db.session() as session, transaction(session):
            mine = await topics.claim_creation(session, complaint_id, self.owner, now=now)
            title = (
                await topics.creation_title(
                    session, complaint_id, self.calendar, self.settings.default_locale, now
                )
                if mine
                else ""
            )
        if not mine:
            raise Deferred(BUSY_RETRY, requested=False)
        try:
            topic = await self.bot.create_forum_topic(chat_id, title)
        except TelegramBadRequest:  # refused for sure: the next try may claim it again
            async with self.db.session() as session, transaction(session):
                await topics.release_claim(session, complaint_id, self.owner)
            raise
        # any other failure (no answer) keeps the claim until its lease ends: the topic may exist
        async with self.db.session() as session, transaction(session):
            await topics.created(session, complaint_id, topic.message_thread_id, title)
        log.info("desk topic %s created for complaint %s", topic.message_thread_id, complaint_id)
        raise Deferred(dt.timedelta(0), requested=True)

    async def _card(self, chat_id: int, thread: int | None, complaint_id: int) -> int:
        from bot.handlers.staff.complaints import card_text  # the staff's own card, as in private chat
        from bot.ui.keyboards.desk import card_keyboard

        viewer = DeskUser(staff_id=0, roles=SEE_ALL)  # the desk as a whole: each press is checked again
        async with self.db.session() as session:
            card = await desk_card(session, complaint_id, viewer, self.calendar)
        i18n = self._i18n or I18n(
            path=self.settings.locales_dir, default_locale=self.settings.default_locale, domain=DOMAIN
        )
        self._i18n = i18n
        with i18n.context(), i18n.use_locale(self.settings.default_locale):
            text = (
                card_text(card, self.settings)
                + "\n\n"
                + _("Write here to answer the customer; start with #note (or //) for a note only staff see.")
            )
            keyboard = card_keyboard(card, viewer.staff_id)
        sent = await self.bot.send_message(chat_id, text, message_thread_id=thread, reply_markup=keyboard)
        return sent.message_id

    async def _copy(self, chat_id: int, thread: int | None, action: dict[str, Any]) -> int:
        copied = await self.bot.copy_message(
            chat_id,
            action["from_chat"],
            action["message"],
            message_thread_id=thread,
            caption=action.get("caption") or None,
        )
        return copied.message_id

    async def _title(
        self, chat_id: int, thread: int | None, complaint_id: int, title: str, where: topics.Target
    ) -> None:
        if thread is None or where.title == title:
            return None
        await self.bot.edit_forum_topic(chat_id, thread, name=title)
        async with self.db.session() as session, transaction(session):
            await topics.titled(session, complaint_id, title)
        return None

    async def _open_or_close(self, chat_id: int, thread: int | None, complaint_id: int, close: bool) -> None:
        assert thread is not None
        try:
            if close:
                await self.bot.close_forum_topic(chat_id, thread)
            else:
                await self.bot.reopen_forum_topic(chat_id, thread)
        except TelegramBadRequest as error:
            if NOT_MODIFIED not in error.message:
                raise
        async with self.db.session() as session, transaction(session):
            await topics.closed(session, complaint_id, close)
        return None
