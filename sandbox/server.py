"""HTTP face of the sandbox: Bot API routes, file downloads and a thin control API.

Every call is recorded with its outcome, so tests can prove the bot never broke a limit; one arriving
inside a retry_after window the sandbox announced is refused again and recorded as a violation
(windows.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import forums, media, messaging, service
from .errors import ApiError, not_found, too_many_requests, unauthorized
from .faults import Fault, FaultQueue
from .inject import Injector, find_button
from .models import ApiCall, SandboxUser
from .params import Params, read_params
from .state import BotState, SandboxState
from .windows import BOT, scope_of

logger = logging.getLogger(__name__)

Handler = Callable[[SandboxState, BotState, Params], Any]
METHODS: dict[str, Handler] = {**messaging.METHODS, **media.METHODS, **service.METHODS, **forums.METHODS}
MAX_REQUEST_BYTES = 60 * 1024 * 1024
_dumps = functools.partial(json.dumps, ensure_ascii=False)


class _Dropped(Exception):
    """An injected fault: the connection is closed without an answer."""


class SandboxServer:
    """Routes requests to the method handlers over a shared :class:`SandboxState`."""

    def __init__(self, state: SandboxState, faults: FaultQueue, injector: Injector) -> None:
        self.state = state
        self.faults = faults
        self.injector = injector
        self.stopping = asyncio.Event()

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)
        app.router.add_post("/sandbox/{token}/send", self.control_send)
        app.router.add_post("/sandbox/{token}/press", self.control_press)
        app.router.add_get("/sandbox/{token}/messages", self.control_messages)
        return app

    async def handle_method(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        bot = self.state.bots.get(token)
        try:
            params = await read_params(request)
        except ApiError as error:
            return self._reply(self._record(ApiCall(token, method, {}), error))
        if bot is None:
            return self._reply(self._record(ApiCall(token, method, params.record()), unauthorized()))
        call = await self.execute(bot, method, params)
        if call.dropped:
            assert request.transport is not None
            request.transport.close()  # aiohttp then cancels this handler: nothing is answered
            await self.stopping.wait()
        return self._reply(call)

    async def execute(self, bot: BotState, method: str, params: Params) -> ApiCall:
        """Run one Bot API call (windows, faults and limits included) and record it."""
        token = bot.bot.token
        call = ApiCall(token, method, params.record(), at=self.state.clock())
        self.state.calls.append(call)
        busy = method.lower() != "getupdates"  # an idle long poll is not activity
        self.state.calls_in_flight += busy
        self.state.last_call_time = time.monotonic()
        scope = scope_of(method, _chat_of(bot, method, params))
        window = self.state.windows.inside(token, scope) if scope is not None else None
        try:
            if window is not None:  # refused again, as Telegram does, and held against the bot
                violation = self.state.windows.violated(call, window)
                logger.warning("violation: %s", violation)
                raise too_many_requests(window[1] - call.at)
            call.result = await self._perform(bot, method, params, call)
            call.status, call.ok = 200, True
        except ApiError as error:
            self._fail(call, error)
            if error.retry_after is not None and scope is not None and window is None:
                self.state.windows.announce(token, BOT if error.bot_wide else scope, error.retry_after)
            logger.info("%s answered %s: %s", method, error.status, error.description)
        except _Dropped:
            call.ok, call.dropped, call.injected, call.error = False, True, True, "dropped: no answer"
        except Exception as exc:  # a sandbox bug must reach the test as a clear 500, not a dropped connection
            logger.exception("Sandbox failed while handling %s", method)
            self._fail(call, ApiError(500, f"Internal Server Error: sandbox bug: {type(exc).__name__}"))
        except asyncio.CancelledError:
            call.ok, call.error = False, "cancelled: the client closed the connection"
            raise
        finally:
            self.state.calls_in_flight -= busy
            if busy or call.result:
                self.state.last_call_time = time.monotonic()
            self.state.changed.fire()
        return call

    async def _perform(self, bot: BotState, method: str, params: Params, call: ApiCall) -> Any:
        handler = METHODS.get(method.lower())
        if handler is None:
            raise not_found()
        fault = self.faults.take(method, _chat_of(bot, method, params))
        if fault is None:
            return await _invoke(handler, self.state, bot, params)
        return await self._apply_fault(fault, handler, bot, params, call)

    async def _apply_fault(
        self, fault: Fault, handler: Handler, bot: BotState, params: Params, call: ApiCall
    ) -> Any:
        result: Any = None
        if fault.apply:
            with contextlib.suppress(ApiError):
                result = await _invoke(handler, self.state, bot, params)
        if fault.status == "timeout":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), fault.hold_seconds)
            return result if fault.apply else await _invoke(handler, self.state, bot, params)
        if fault.status == "drop":
            raise _Dropped
        call.injected = True
        call.html = fault.page()
        raise fault.error()

    @staticmethod
    def _fail(call: ApiCall, error: ApiError) -> None:
        call.status, call.ok, call.error, call.retry_after = (
            error.status,
            False,
            error.description,
            error.retry_after,
        )

    def _record(self, call: ApiCall, error: ApiError) -> ApiCall:
        self._fail(call, error)
        self.state.calls.append(call)
        return call

    @staticmethod
    def _reply(call: ApiCall) -> web.Response:
        if call.html is not None:
            return web.Response(text=call.html, status=call.status or 500, content_type="text/html")
        return web.json_response(call.response(), status=call.status or 500, dumps=_dumps)

    async def handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] not in self.state.bots:
            return web.json_response(unauthorized().to_json(), status=401)
        stored = self.state.file_by_path(request.match_info["path"])
        if stored is None:
            return web.json_response(not_found().to_json(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    async def _control_body(self, request: web.Request) -> tuple[str, dict[str, Any]]:
        token = request.match_info["token"]
        if token not in self.state.bots:
            raise web.HTTPNotFound(
                text=_dumps({"ok": False, "description": "unknown bot token"}),
                content_type="application/json",
            )
        try:
            body = await request.json() if request.body_exists else {}
        except ValueError:
            raise web.HTTPBadRequest(
                text=_dumps({"ok": False, "description": "the body must be a JSON object"}),
                content_type="application/json",
            ) from None
        return token, body if isinstance(body, dict) else {}

    def _user(self, body: dict[str, Any]) -> SandboxUser:
        user_id = int(body["user_id"])
        user = self.state.users.get(user_id)
        if user is None:
            user = SandboxUser(user_id, str(body.get("first_name") or f"User {user_id}"))
            self.state.users[user_id] = user
        return user

    async def control_send(self, request: web.Request) -> web.Response:
        """POST {user_id, text[, first_name]}: the user sends a text message."""
        token, body = await self._control_body(request)
        return _control(lambda: self.injector.text(token, self._user(body), str(body["text"])))

    async def control_press(self, request: web.Request) -> web.Response:
        """POST {user_id, message_id, data | button}: press a button (or send any callback data)."""
        token, body = await self._control_body(request)

        def press() -> dict[str, Any]:
            user = self._user(body)
            if "data" in body:
                return self.injector.callback(
                    token, user, int(body["message_id"]), str(body["data"]), body.get("chat_id")
                )
            message = self.injector.current(
                self.injector.bot(token), user, int(body["message_id"]), body.get("chat_id")
            )
            button = body["button"]
            _, data = find_button(message, tuple(button) if isinstance(button, list) else button)
            if data is None:
                raise LookupError("that button has no callback_data")
            return self.injector.callback(token, user, message, data)

        return _control(press)

    async def control_messages(self, request: web.Request) -> web.Response:
        """GET ?chat_id=: the bot's messages in a chat, current state."""
        bot = self.state.bots.get(request.match_info["token"])
        if bot is None:
            return web.json_response({"ok": False, "description": "unknown bot token"}, status=404)
        return _control(
            lambda: [m.summary() for m in bot.chat(int(request.query["chat_id"])).bot_messages.values()]
        )


def _chat_of(bot: BotState, method: str, params: Params) -> Any:
    """The chat a request is for: its ``chat_id``, or for a callback answer the chat of the press."""
    if method.lower() == "answercallbackquery":
        return bot.callback_chats.get(str(params.values.get("callback_query_id")))
    return params.values.get("chat_id")


async def _invoke(handler: Handler, state: SandboxState, bot: BotState, params: Params) -> Any:
    result = handler(state, bot, params)
    return await result if inspect.isawaitable(result) else result


def _control(action: Callable[[], Any]) -> web.Response:
    try:
        return web.json_response({"ok": True, "result": action()}, dumps=_dumps)
    except (KeyError, ValueError, TypeError, LookupError, PermissionError) as exc:
        return web.json_response({"ok": False, "description": f"{type(exc).__name__}: {exc}"}, status=400)
