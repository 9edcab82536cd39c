"""The fault campaign's side of the Bot API sandbox: random faults, what the sandbox saw, webhook plumbing.

Installed on one `BotAPISandbox` instance from `bench.fault_campaign`, never in the sandbox's own code:

- `RandomFaults`: a seeded policy drawing one fault per request of a sending method (getUpdates and the
  bot's start-up calls are left alone): 429 with `retry_after` 1-3 s, 500, a 502 with nginx's HTML page
  as Telegram's front servers send it, or the connection closed without an answer. Every fault is injected
  BEFORE the request is performed, so a reply shown twice can only come from an update handled twice.
- `FaultAdapter`: the sandbox's HTTP handler for Bot API methods, with the faults the sandbox cannot express
  yet (the 502 page and the dropped connection) handled in front of it; 429 and 500 go through the sandbox's
  own `FaultQueue`. When the sandbox learns both, only `FaultAdapter.handle_method` needs replacing.
- `Recorder`: wraps the sandbox's `execute` (HTTP calls and webhook answers alike) to note when each request
  arrived, the `retry_after` windows the sandbox announced (injected 429s and the flood limits' own) and
  every request for the same chat (or, after a bot-wide flood 429, any chat) that arrived inside one, the
  time each callback query was answered, and the getUpdates offsets that confirmed updates.
- `ConcurrentDelivery`: webhook delivery as Telegram does it, several updates in flight at once (the
  sandbox's own posts one update at a time, so one handler waiting out a 429 would hold every user up);
  updates of one chat still go one at a time, in order.
- `RoundRobinProxy`: one public webhook URL in front of the instances; an instance that is down (refused,
  or gone mid-request) is answered 502 so that the sandbox delivers the update again.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from sandbox import ApiCall, ApiError, BotAPISandbox
from sandbox.errors import unauthorized
from sandbox.flood import GLOBAL_PER_SECOND
from sandbox.params import Params, read_params
from sandbox.state import BotState
from sandbox.webhook import WebhookDelivery
from sandbox.windows import scope_of

#: The bot's sending methods: the ones faults are injected into and retry_after windows apply to.
SENDING = frozenset(
    name.lower()
    for name in (
        "sendMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "deleteMessage",
        "answerCallbackQuery",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendChatAction",
        "copyMessage",
        "forwardMessage",
    )
)
KINDS = ("429", "500", "502-html", "drop")
BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
BOT = 0  # the scope of a bot-wide window (the flood limits' ~30 messages a second)

_flood_scope: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "campaign_flood_scope", default=None
)


@dataclass
class RandomFaults:
    """Each request of a sending method draws: 10 % 429, 10 % 5xx (half 500, half 502 HTML), 10 % drop."""

    rng: random.Random
    rate_429: float = 0.10
    rate_5xx: float = 0.10
    rate_drop: float = 0.10
    enabled: bool = False
    drawn: Counter[str] = field(default_factory=Counter)

    def draw(self, method: str) -> tuple[str, int] | None:
        """(kind, retry_after) of the fault for this request, or None."""
        if not self.enabled or method.lower() not in SENDING:
            return None
        x = self.rng.random()
        if x < self.rate_429:
            kind = "429"
        elif x < self.rate_429 + self.rate_5xx:
            kind = "500" if self.rng.random() < 0.5 else "502-html"
        elif x < self.rate_429 + self.rate_5xx + self.rate_drop:
            kind = "drop"
        else:
            return None
        return kind, self.rng.randint(1, 3)


@dataclass(frozen=True)
class Window:
    scope: int  # a chat id, or BOT
    start: float
    end: float
    method: str
    injected: bool
    text: str = ""  # the refused request's text, if any


def _gist(values: dict[str, Any]) -> str:
    """A request's text (a message's, or a callback answer's), shortened, to tell requests apart."""
    text = values.get("text") or values.get("caption") or ""
    return str(text)[:30]


@dataclass(frozen=True)
class Inside:
    """A request that arrived while a retry_after window announced for its chat (or the bot) was open."""

    method: str
    chat: int
    early: float  # seconds before the window closed
    window: Window
    text: str = ""


@dataclass
class Recorder:
    """What the sandbox saw, timed on this process's monotonic clock."""

    sandbox: BotAPISandbox
    query_chats: dict[str, int] = field(default_factory=dict)  # callback query id -> chat, told by the users
    windows: list[Window] = field(default_factory=list)
    inside: list[Inside] = field(default_factory=list)
    answered: dict[str, float] = field(default_factory=dict)  # callback query id -> first successful answer
    answer_texts: dict[str, str] = field(default_factory=dict)
    flood_429: Counter[str] = field(default_factory=Counter)  # the bot's own pace refused, by method
    confirmed_below: int = 0  # the highest getUpdates offset: every update below it is confirmed
    requests: int = 0  # sending-method requests that reached the sandbox
    refusals: list[tuple[float, str, int | None]] = field(
        default_factory=list
    )  # (at, what, chat), not injected
    _execute: Callable[..., Any] | None = None

    def install(self) -> None:
        """Wrap the sandbox's execute (HTTP and webhook answers) and its flood check, on this instance."""
        server = self.sandbox._server
        self._execute = server.execute
        server.execute = self.execute  # type: ignore[method-assign]
        self.sandbox._webhooks.execute = self.execute
        flood = self.sandbox.state.flood
        check = flood.check

        def scoped_check(token: str, chat_id: int, *, is_group: bool) -> None:
            try:
                check(token, chat_id, is_group=is_group)
            except ApiError:
                # the overall window is trimmed and full only when the bot-wide limit refused
                overall = flood._overall.get(token) or ()
                _flood_scope.set(BOT if len(overall) >= GLOBAL_PER_SECOND else chat_id)
                raise

        flood.check = scoped_check  # type: ignore[method-assign]

    def chat_of(self, method: str, values: dict[str, Any]) -> int | None:
        if method.lower() == "answercallbackquery":
            return self.query_chats.get(str(values.get("callback_query_id")))
        with contextlib.suppress(KeyError, TypeError, ValueError):
            return int(values["chat_id"])
        return None

    def arrive(self, method: str, values: dict[str, Any]) -> int | None:
        """A request arrived: inside an open window of its chat or of the bot? Returns its chat."""
        chat = self.chat_of(method, values)
        if method.lower() == "getupdates":  # its offset confirms every update below it
            with contextlib.suppress(TypeError, ValueError):
                self.confirmed_below = max(self.confirmed_below, int(values.get("offset") or 0))
        if method.lower() not in SENDING:
            return chat
        self.requests += 1
        now = time.monotonic()
        for window in reversed(self.windows):
            if window.start < now - 61:  # appended in time order, none longer than a minute
                break
            if window.start < now < window.end and window.scope in (BOT, chat):
                self.inside.append(Inside(method, chat or BOT, window.end - now, window, _gist(values)))
                break
        return chat

    async def execute(self, bot: BotState, method: str, params: Params) -> ApiCall:
        chat = self.arrive(method, params.values)
        return await self.perform(bot, method, params, chat)

    async def perform(self, bot: BotState, method: str, params: Params, chat: int | None) -> ApiCall:
        """The sandbox's own execute, after `arrive`; notes what its answer announced."""
        assert self._execute is not None
        _flood_scope.set(None)
        call: ApiCall = await self._execute(bot, method, params)
        now = time.monotonic()
        lowered = method.lower()
        if call.rejected:
            self.refusals.append((now, f"{call.status} {method} ({(call.error or '')[:40]})", chat))
        if call.status == 429 and call.retry_after:
            flood = _flood_scope.get()
            scope = flood if flood is not None else (chat if chat is not None else BOT)
            window = Window(scope, now, now + call.retry_after, method, call.injected, _gist(params.values))
            self.windows.append(window)
            if not call.injected:
                self.flood_429[method] += 1
        if lowered == "answercallbackquery" and call.ok:
            query = str(params.values.get("callback_query_id"))
            self.answered.setdefault(query, now)
            self.answer_texts.setdefault(query, str(params.values.get("text") or ""))
        return call


@dataclass
class FaultAdapter:
    """Serves the Bot API routes in place of `SandboxServer.handle_method`, drawing a fault for each call."""

    sandbox: BotAPISandbox
    policy: RandomFaults
    recorder: Recorder
    injected: Counter[str] = field(default_factory=Counter)
    injected_by_method: Counter[tuple[str, str]] = field(default_factory=Counter)
    log: list[tuple[float, str, str, int | None]] = field(default_factory=list)  # (at, kind, method, chat)

    def install(self) -> None:
        """Before `sandbox.start()`: its application routes Bot API calls to the attribute looked up here."""
        self.sandbox._server.handle_method = self.handle_method  # type: ignore[method-assign]

    def _inside_a_window(self, bot: BotState, method: str, params: Params) -> bool:
        scope = scope_of(method, _window_chat(bot, method, params))
        return scope is not None and self.sandbox.state.windows.inside(bot.bot.token, scope) is not None

    async def handle_method(self, request: web.Request) -> web.StreamResponse:
        server = self.sandbox._server
        token, method = request.match_info["token"], request.match_info["method"]
        bot = self.sandbox.state.bots.get(token)
        try:
            params = await read_params(request)
        except ApiError as error:
            return server._reply(server._record(ApiCall(token, method, {}), error))
        if bot is None:
            return server._reply(server._record(ApiCall(token, method, params.record()), unauthorized()))
        fault = self.policy.draw(method)
        chat = self.recorder.arrive(method, params.values)
        if fault is None or self._inside_a_window(bot, method, params):
            # a request inside a window is refused by the sandbox before any fault (a violation, counted)
            return server._reply(await self.recorder.perform(bot, method, params, chat))
        kind, retry_after = fault
        self.injected[kind] += 1
        self.injected_by_method[(kind, method)] += 1
        self.log.append((time.monotonic(), kind, method, chat))
        if kind in ("429", "500"):
            # the sandbox's own fault machinery; nothing awaits between add() and its take() in execute
            self.sandbox.faults.add(method, int(kind), retry_after=retry_after)
            call = await self.recorder.perform(bot, method, params, chat)
            assert call.injected, f"the {kind} fault for {method} was not taken"
            return server._reply(call)
        call = ApiCall(token, method, params.record(), injected=True, ok=False)
        self.sandbox.state.calls.append(call)
        self.sandbox.state.changed.fire()
        if kind == "502-html":
            call.status, call.error = 502, "Bad Gateway (HTML page)"
            return web.Response(status=502, text=BAD_GATEWAY_PAGE, content_type="text/html")
        call.error = "connection closed without an answer"
        if request.transport is not None:
            request.transport.close()
        return web.Response()  # never written: the connection is gone


def _window_chat(bot: BotState, method: str, params: Params) -> Any:
    """The chat whose window the sandbox holds this request to (sandbox/server.py)."""
    if method.lower() == "answercallbackquery":
        return bot.callback_chats.get(str(params.values.get("callback_query_id")))
    return params.values.get("chat_id")


def _chat_of_update(update: dict[str, Any]) -> int | None:
    body = next((value for key, value in update.items() if key != "update_id"), None)
    if not isinstance(body, dict):
        return None
    for holder in (body.get("chat"), (body.get("message") or {}).get("chat"), body.get("from")):
        if isinstance(holder, dict) and isinstance(holder.get("id"), int):
            return holder["id"]
    return None


class ConcurrentDelivery(WebhookDelivery):
    """Up to the webhook's max_connections updates in flight, one per chat and in order within a chat."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attempts: Counter[int] = Counter()  # update id -> POSTs made
        self.delivered: set[int] = set()

    @classmethod
    def install(cls, sandbox: BotAPISandbox, retry_delay: float = 0.5) -> ConcurrentDelivery:
        """In place of the sandbox's delivery, before a webhook is set."""
        delivery = cls(sandbox.state, sandbox._webhooks.execute, retry_delay=retry_delay)
        sandbox._webhooks = delivery
        sandbox.state.webhook_listener = delivery.changed
        return delivery

    async def _run(self, bot: BotState) -> None:
        flying: dict[int, int] = {}  # update id -> chat
        not_before: dict[int, float] = {}
        tasks: set[asyncio.Task[None]] = set()

        def ready() -> list[dict[str, Any]] | None:
            if bot.webhook is None or self.state.closing:
                return []
            hook = bot.webhook
            if len(flying) >= hook.max_connections:
                return None
            busy = set(flying.values())
            now = time.monotonic()
            for update in bot.pending():
                chat = _chat_of_update(update)
                if update["update_id"] in flying or not_before.get(update["update_id"], 0) > now:
                    busy.add(chat)  # a chat's later updates wait for this one
                    continue
                if chat in busy:
                    continue
                return [update]
            return None

        async def deliver(update: dict[str, Any]) -> None:
            update_id = update["update_id"]
            try:
                self.attempts[update_id] += 1
                if await self._post(bot, update):
                    with contextlib.suppress(ValueError):
                        bot.updates.remove(update)
                    self.delivered.add(update_id)
                    bot.delivered_up_to = max(bot.delivered_up_to, update_id)
                    not_before.pop(update_id, None)
                    self.state.changed.fire()
                else:
                    not_before[update_id] = time.monotonic() + self.retry_delay
            finally:
                flying.pop(update_id, None)
                bot.signal.fire()

        try:
            while bot.webhook is not None and not self.state.closing:
                pending = await bot.signal.wait_until(ready, 0.25)
                if not pending or bot.webhook is None:
                    continue
                update = pending[0]
                flying[update["update_id"]] = _chat_of_update(update) or 0
                task = asyncio.get_running_loop().create_task(deliver(update))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            for task in list(tasks):
                task.cancel()
            for task in list(tasks):
                with contextlib.suppress(asyncio.CancelledError):
                    await task


@dataclass
class RoundRobinProxy:
    """The webhook's public URL: each POST goes to the next instance; one that is down is answered 502."""

    ports: list[int]
    served: Counter[int] = field(default_factory=Counter)  # instance index -> 2xx answers passed on
    failed: Counter[int] = field(default_factory=Counter)  # instance index -> answered 502 for it
    reached: Counter[int] = field(default_factory=Counter)  # update id -> POSTs that reached an instance
    _turn: itertools.count[int] = field(default_factory=itertools.count)
    _runner: web.AppRunner | None = None
    _client: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/{path:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        return f"http://127.0.0.1:{self._runner.addresses[0][1]}/telegram/webhook"

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        assert self._client is not None
        index = next(self._turn) % len(self.ports)
        headers = {name: value for name, value in request.headers.items() if name.lower().startswith("x-")}
        headers["Content-Type"] = request.headers.get("Content-Type", "application/json")
        body = await request.read()
        update_id = None
        with contextlib.suppress(ValueError, KeyError, TypeError):
            update_id = int(json.loads(body)["update_id"])
        try:
            async with self._client.post(
                f"http://127.0.0.1:{self.ports[index]}{request.path}", data=body, headers=headers
            ) as answer:
                self.reached[update_id or 0] += 1
                answered = await answer.read()
                if 200 <= answer.status < 300:
                    self.served[index] += 1
                return web.Response(
                    status=answer.status,
                    body=answered,
                    content_type=answer.content_type or "application/json",
                )
        except aiohttp.ClientConnectorError:  # refused: the instance is down
            self.failed[index] += 1
        except (aiohttp.ClientError, TimeoutError):  # it took the update, then died or hung
            self.reached[update_id or 0] += 1
            self.failed[index] += 1
        return web.Response(status=502, text=BAD_GATEWAY_PAGE, content_type="text/html")
