"""The program-facing sandbox: start a fake Telegram, act as users, read what the bot did.

Point the real aiogram Bot at it with
``AiohttpSession(api=TelegramAPIServer.from_base(sandbox.base_url))``.
"""

from __future__ import annotations

import logging
import re
from types import TracebackType
from typing import Any

from aiohttp import web

from .actions import UserActions
from .faults import FaultQueue
from .flood import FloodControl
from .inject import Injector
from .models import (
    ApiCall,
    CallbackAnswer,
    ForumTopic,
    Mark,
    SandboxBot,
    SandboxGroup,
    SandboxUser,
    SentMessage,
    StoredFile,
    Violation,
)
from .server import SandboxServer
from .service import command_key
from .state import BotState, SandboxState
from .waiting import (
    Marker,
    changes_after,
    resolve_mark,
    wait_for_answer,
    wait_for_news,
    wait_for_reply,
    wait_idle,
)
from .webhook import WebhookDelivery

logger = logging.getLogger(__name__)

_TOKEN_RE = re.compile(r"(\d+):[A-Za-z0-9_-]+")
Chat = int | SandboxUser | SandboxGroup


def _chat_id(chat: Chat) -> int:
    return chat if isinstance(chat, int) else chat.id


# How long a test waits for something before it fails: a passing test waits only for the event itself, so
# this is only ever spent on a failure, and must hold on a loaded CI machine (two workers on two busy cores).
WAIT = 30.0


class BotAPISandbox(UserActions):
    """A local Bot API server enforcing Telegram's limits, driven in-process by tests and demos."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        flood_control: bool = False,
        strict_html: bool = True,
        webhook_retry_delay: float = 0.5,
    ) -> None:
        self.host, self.port = host, port
        self.state = SandboxState(strict_html=strict_html, flood_control=flood_control)
        self.faults = FaultQueue()
        self._injector = Injector(self.state)
        self._server = SandboxServer(self.state, self.faults, self._injector)
        self._webhooks = WebhookDelivery(self.state, self._server.execute, retry_delay=webhook_retry_delay)
        self.state.webhook_listener = self._webhooks.changed
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    async def start(self) -> None:
        """Listen on ``host:port`` (port 0 picks a free one)."""
        self.state.closing = False
        self._server.stopping.clear()
        self._runner = web.AppRunner(
            self._server.application(), handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        host = f"[{self.host}]" if ":" in self.host else self.host  # IPv6 literals need brackets
        self._base_url = f"http://{host}:{self.port}"
        logger.info("Bot API sandbox listening on %s", self._base_url)

    async def stop(self) -> None:
        """End long polls and held responses, then close the server."""
        self.state.closing = True
        self._server.stopping.set()
        for bot in self.state.bots.values():
            bot.signal.fire()
        self.state.changed.fire()
        await self._webhooks.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        logger.info("Bot API sandbox stopped")

    async def __aenter__(self) -> BotAPISandbox:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://host:port``, the base for ``TelegramAPIServer.from_base``."""
        if self._base_url is None:
            raise RuntimeError("the sandbox is not started")
        return self._base_url

    @property
    def flood(self) -> FloodControl:
        return self.state.flood

    # --- world setup ---------------------------------------------------------------------------

    def add_bot(
        self,
        token: str = "123456:TEST",  # noqa: S107 - a fake token for the local sandbox
        username: str = "portcrm_bot",
        first_name: str = "PortCRM",
    ) -> SandboxBot:
        match = _TOKEN_RE.fullmatch(token)
        if match is None:
            raise ValueError(f"token {token!r} is not shaped like a Bot API token ('<bot id>:<secret>')")
        bot = SandboxBot(token, int(match.group(1)), username, first_name)
        self.state.bots[token] = BotState(bot)
        return bot

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        phone: str | None = None,
    ) -> SandboxUser:
        user = SandboxUser(user_id, first_name, last_name, username, language_code, phone)
        self.state.users[user_id] = user
        return user

    def add_group(
        self, chat_id: int, title: str, chat_type: str = "group", *, is_forum: bool = False
    ) -> SandboxGroup:
        """A group; `is_forum` (a supergroup only) turns its topics on."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if is_forum and chat_type != "supergroup":
            raise ValueError("only a supergroup can be a forum")
        group = SandboxGroup(chat_id, title, chat_type, is_forum)
        self.state.groups[chat_id] = group
        return group

    def make_admin(
        self, group: SandboxGroup, member: SandboxUser | SandboxBot, *, creator: bool = False, **rights: bool
    ) -> None:
        """Make a user or a bot an administrator of the group (the creator has every right), e.g.
        ``make_admin(group, bot, can_manage_topics=True)``."""
        status = "creator" if creator else "administrator"
        self.state.admins.setdefault(group.id, {})[member.id] = {"status": status, **rights}

    def remove_admin(self, group: SandboxGroup, member: SandboxUser | SandboxBot) -> None:
        self.state.admins.get(group.id, {}).pop(member.id, None)

    def topics(self, group: SandboxGroup | int) -> list[ForumTopic]:
        """The group's topics in their current state, in the order they were created."""
        chat_id = _chat_id(group)
        return sorted(self.state.topics.get(chat_id, {}).values(), key=lambda t: t.message_thread_id)

    @property
    def created_topics(self) -> list[ForumTopic]:
        """Every topic createForumTopic made, in order (not idempotent: two calls make two)."""
        return list(self.state.created_topics)

    # --- reading what the bot did --------------------------------------------------------------

    def messages(self, chat: Chat, token: str | None = None, *, deleted: bool = False) -> list[SentMessage]:
        """The bot's messages in a chat, in sending order, current state (or the deleted ones)."""
        chat_id = _chat_id(chat)
        found = changes_after(self.state, chat_id, 0, token)
        order = {(m.token, m.message_id): i for i, m in enumerate(found)}
        logs = [bot.chat(chat_id) for bot in self._bots(token)]
        if deleted:
            return [m for log in logs for m in log.deleted]
        current = [m for log in logs for m in log.bot_messages.values()]
        return sorted(current, key=lambda m: order.get((m.token, m.message_id), len(order)))

    def mark(self) -> Mark:
        """Now, as a marker for ``wait_for_reply``/``replies``."""
        return Mark(self.state.seq())

    def replies(
        self, chat: Chat, after: Mark | SentMessage | dict[str, Any] | None, token: str | None = None
    ) -> list[SentMessage]:
        """Messages sent or edited in the chat after a marker, without waiting."""
        return changes_after(self.state, _chat_id(chat), resolve_mark(self.state, after), token)

    async def wait_for_reply(
        self,
        chat: Chat,
        after: Marker = None,
        timeout: float = WAIT,  # noqa: ASYNC109 - a deadline for the wait, part of the test API
        token: str | None = None,
    ) -> SentMessage:
        """First message the bot sends or edits in the chat after ``after``.

        ``after`` is an injected update, a :class:`Mark`, a message (its last change), None (now),
        or an int n: the chat's (n+1)-th bot message.
        """
        return await wait_for_reply(self.state, _chat_id(chat), after, timeout, token)

    async def wait_for_answer(
        self,
        update: dict[str, Any],
        timeout: float = WAIT,  # noqa: ASYNC109 - a deadline for the wait, part of the test API
    ) -> CallbackAnswer:
        """The bot's answerCallbackQuery for a press made with ``press``/``press_data``."""
        return await wait_for_answer(self.state, update["callback_query"]["id"], timeout)

    async def wait_for_news(
        self,
        after: Mark,
        answers: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the wait, part of the test API
    ) -> bool:
        """Until the bot sends, edits or deletes a message after ``after``, or answers a callback query beyond
        the first ``answers``; False on timeout. A follower of the chats waits here between reads."""
        return await wait_for_news(self.state, after.seq, answers, timeout)

    async def wait_idle(
        self,
        quiet: float = 0.05,
        timeout: float = WAIT,  # noqa: ASYNC109 - a deadline for the wait, part of the test API
    ) -> None:
        """Until all queued updates were fetched and no call ran for ``quiet`` seconds."""
        await wait_idle(self.state, quiet, timeout)

    @property
    def calls(self) -> list[ApiCall]:
        return self.state.calls

    @property
    def rejected(self) -> list[ApiCall]:
        """Calls Telegram would have refused because of the bot's request (injected faults excluded)."""
        return [call for call in self.state.calls if call.rejected]

    @property
    def violations(self) -> list[Violation]:
        """Requests that arrived inside a retry_after window the sandbox had announced (see windows.py)."""
        return list(self.state.windows.violations)

    def unanswered_callbacks(self, token: str | None = None) -> list[str]:
        """Ids of button presses the bot has not answered (yet, or ever)."""
        return [query for bot in self._bots(token) for query in bot.open_callbacks]

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.state.calls if call.method.lower() == method.lower()]

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return self.state.callback_answers

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = "", token: str | None = None
    ) -> list[dict[str, str]]:
        """Commands set for exactly this scope and language (as getMyCommands returns them)."""
        bot = self._bot(token) if token else next(iter(self.state.bots.values()))
        return [dict(c) for c in bot.commands.get(command_key(self.state, bot, scope, language_code), [])]

    def file(self, file_id: str) -> StoredFile:
        return self.state.files[file_id]

    def pending_updates(self, token: str) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        return list(self._bot(token).updates)
