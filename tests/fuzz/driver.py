"""Plays generated programs through the running bot, one task per actor, and remembers what it sent.

A `Tracker` middleware marks where in the sandbox's activity log each update's handling began: one user's
updates are handled one at a time (the dispatcher's per-chat lock), so the bot's messages in a chat
between the start of one update and the start of the next are that update's reply.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update
from pydantic import ValidationError
from stdnum import iso6346

from sandbox import SandboxUser, SentMessage, tiny_png
from tests.fuzz.strategies import (
    CALLBACKS,
    Action,
    Burst,
    Command,
    Forge,
    Huge,
    IdRef,
    Media,
    Part,
    Press,
    RawData,
    Ref,
    Say,
)
from tests.fuzz.world import Actor, World
from tests.harness import TOKEN, RunningBot

LOCALES = {"en", "zh_CN", "zh_TW"}

HANDLING_PATIENCE = 90.0  # a loaded 2-core machine; only a hang takes this long


class Tracker(BaseMiddleware):
    """Outer update middleware (inside the per-chat lock): where each update's handling began.

    `Finished`, installed outermost, says when an update is done, the errors handler's reply included.
    """

    def __init__(self, app: RunningBot) -> None:
        self.app = app
        self.starts: dict[int, int] = {}
        self.order: list[int] = []  # update ids in the order their handling began
        self.states: dict[int, str | None] = {}  # the conversation state each update met, for findings
        self.finished: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self.raised: set[int] = set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        self.starts[event.update_id] = self.app.sandbox.state.seq()
        self.order.append(event.update_id)
        self.states[event.update_id] = data.get("raw_state")
        try:
            return await handler(event, data)
        except Exception:
            # the errors handler replies outside the chat's lock, so maybe after the next update began
            self.raised.add(event.update_id)
            raise

    def install(self, dispatcher: Dispatcher) -> None:
        """Itself last among the update middlewares (inside the lock), `Finished` first (outside all)."""
        outer = dispatcher.update.outer_middleware
        existing = list(outer[:])
        for middleware in existing:
            outer.unregister(middleware)
        for middleware in (Finished(self), *existing, self):
            outer.register(middleware)

    async def wait(self, update_ids: list[int]) -> None:
        async with asyncio.timeout(HANDLING_PATIENCE):
            for update_id in update_ids:
                await self.finished[update_id].wait()


class Finished(BaseMiddleware):
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        finally:
            if isinstance(event, Update):
                self.tracker.finished[event.update_id].set()


@dataclass
class Sent:
    actor: Actor
    update: dict[str, Any]
    kind: str

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass
class Driver:
    app: RunningBot
    world: World
    tracker: Tracker
    sent: list[Sent] = field(default_factory=list)
    typed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    counts: Counter[str] = field(default_factory=Counter)
    switched_language: set[str] = field(default_factory=set)
    users: dict[str, SandboxUser] = field(default_factory=dict)
    throttled: bool = False  # the bot may set updates aside: send without waiting for each to be handled

    def user(self, actor: Actor) -> SandboxUser:
        if actor.key not in self.users:
            self.users[actor.key] = self.app.user(actor.user_id, f"Fuzz{actor.user_id}", actor.language_code)
        return self.users[actor.key]

    async def run(self, programs: list[tuple[str, tuple[Action, ...]]]) -> None:
        by_actor: dict[str, list[tuple[Action, ...]]] = defaultdict(list)
        for key, actions in programs:
            by_actor[key].append(actions)
        await asyncio.gather(*(self._play(self.world.actors[key], items) for key, items in by_actor.items()))

    async def _play(self, actor: Actor, items: list[tuple[Action, ...]]) -> None:
        await self._send(actor, [self._text(actor, "/start")], "command")  # a chat to press buttons in
        for actions in items:
            for action in actions:
                await self.act(actor, action)

    async def act(self, actor: Actor, action: Action) -> None:
        if isinstance(action, Say):
            await self._send(actor, [self._text(actor, self.resolve(actor, action.parts))], "text")
        elif isinstance(action, Huge):
            text = (action.seed * (action.length // len(action.seed) + 1))[: action.length]
            await self._send(actor, [self._text(actor, text)], "huge text")
        elif isinstance(action, Command):
            args = self.resolve(actor, action.args)
            await self._send(actor, [self._text(actor, f"/{action.name} {args}".strip())], "command")
        elif isinstance(action, Media):
            await self._send(actor, [self._media(actor, action)], action.kind)
        elif isinstance(action, Press):
            await self._press(actor, action)
        elif isinstance(action, Forge):
            if (data := self._forge(actor, action)) is not None:
                await self._callback(actor, [data], "forged callback")
        elif isinstance(action, RawData):
            await self._callback(actor, [action.data], "random callback data")
        elif isinstance(action, Burst):
            texts = [self.resolve(actor, parts) for parts in action.texts]
            await self._send(actor, [self._text(actor, t) for t in texts], "burst text")

    # --- building updates ---------------------------------------------------------------------

    def resolve(self, actor: Actor, parts: tuple[Part, ...]) -> str:
        text = "".join(p if isinstance(p, str) else self._identifier(actor, p) for p in parts)
        return text if text.strip() else "?"  # Telegram delivers no blank messages

    def _identifier(self, actor: Actor, ref: Ref) -> str:
        company = None
        # staff type look-alikes: what they type (an inquiry's answer, a broadcast) may reach customers
        if actor.role is None and ref.scope != "fake":
            if actor.company is None:
                company = self.world.companies["AB"[ref.index % 2]]
            elif ref.scope == "own":
                company = self.world.companies[actor.company]
            else:
                company = self.world.other(actor.company)
        if company is None:
            body = f"FAKU{(ref.index * 7919) % 1_000_000:06d}"
            fakes = {"container": body + iso6346.calc_check_digit(body), "phone": f"+8613{ref.index:09d}"}
            return fakes.get(ref.kind, f"NGB{ref.index:09d}")
        if ref.kind == "phone":
            return "+86" + company.phones[ref.index % len(company.phones)]
        values = company.typed[ref.kind]
        return values[ref.index % len(values)]

    def _text(self, actor: Actor, text: str) -> dict[str, Any]:
        self.typed[actor.key].append(text)
        return self.app.sandbox.send_text(TOKEN, self.user(actor), text)

    def _media(self, actor: Actor, media: Media) -> dict[str, Any]:
        sandbox, user = self.app.sandbox, self.user(actor)
        caption = self.resolve(actor, media.caption) if media.caption else None
        self.typed[actor.key] += [caption or "", media.filename]
        if media.kind == "photo":
            return sandbox.send_photo(TOKEN, user, tiny_png(), caption)
        if media.kind == "document":
            return sandbox.send_document(TOKEN, user, b"junk,data\n1,2\n", media.filename, caption=caption)
        if media.kind == "contact":
            phone = self._identifier(actor, Ref("phone", "foreign", len(media.filename)))
            self.typed[actor.key].append(phone)
            # someone else's card: only a user's own number (Telegram vouches for it) may link them
            return sandbox.send_contact(TOKEN, user, phone, contact_user_id=actor.user_id + 1)
        file = {"file_id": f"F{len(media.filename)}", "file_unique_id": f"U{len(media.filename)}"}
        content = {
            "sticker": {
                "sticker": {
                    **file,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "location": {"location": {"latitude": 29.87, "longitude": 121.55}},
            "voice": {"voice": {**file, "duration": 3}},
        }[media.kind]
        return sandbox._injector.message(TOKEN, user, content)

    def _forge(self, actor: Actor, forge: Forge) -> str | None:
        values = {name: self._id(actor, v) if isinstance(v, IdRef) else v for name, v in forge.fields}
        try:
            return CALLBACKS[forge.cls](**values).pack()
        except (ValidationError, ValueError):
            self.counts["forged callback (unpackable, not sent)"] += 1
            return None

    def _id(self, actor: Actor, ref: IdRef) -> int:
        if ref.scope == "raw":
            return ref.value
        if ref.kind == "staff":
            return self.world.staff_ids[ref.index % len(self.world.staff_ids)]
        tag = actor.company or "AB"[ref.index % 2]
        company = self.world.companies[tag] if ref.scope == "own" else self.world.other(tag)
        ids = company.ids[ref.kind]
        return ids[ref.index % len(ids)]

    async def _press(self, actor: Actor, press: Press) -> None:
        chat = [m for m in reversed(self.app.sandbox.messages(actor.user_id)) if _callback_buttons(m)]
        if not chat:
            self.counts["button press (no buttons yet, not sent)"] += 1
            return
        message = chat[press.back % len(chat)]
        versions = [v for v in (message, *reversed(message.history)) if _callback_buttons(v)]
        buttons = _callback_buttons(versions[press.version % len(versions)])
        data = buttons[press.index % len(buttons)]
        kind = "stale button" if press.back or press.version else "button"
        await self._callback(
            actor,
            [data] * (2 if press.twice else 1),
            kind + (" pressed twice at once" if press.twice else ""),
            message,
        )

    async def _callback(
        self, actor: Actor, datas: list[str], kind: str, message: SentMessage | None = None
    ) -> None:
        if message is None:
            chat = self.app.sandbox.messages(actor.user_id)
            if not chat:
                self.counts[kind + " (no message yet, not sent)"] += 1
                return
            message = chat[-1]
        if any(d.removeprefix("lang:") in LOCALES for d in datas if d.startswith("lang:")):
            if actor.company is not None or actor.role is not None:  # their replies' language is checked
                self.counts[kind + " (a language choice, not sent)"] += 1
                return
            self.switched_language.add(actor.key)
        try:
            updates = [
                self.app.sandbox.press_data(TOKEN, self.user(actor), message.message_id, d) for d in datas
            ]
        except LookupError:  # the bot deleted the message meanwhile
            self.counts[kind + " (message gone, not sent)"] += 1
            return
        await self._record(actor, updates, kind)

    async def _send(self, actor: Actor, updates: list[dict[str, Any]], kind: str) -> None:
        await self._record(actor, updates, kind)

    async def _record(self, actor: Actor, updates: list[dict[str, Any]], kind: str) -> None:
        self.sent += [Sent(actor, u, kind) for u in updates]
        self.counts[kind] += len(updates)
        if not self.throttled:
            await self.tracker.wait([u["update_id"] for u in updates])


def _callback_buttons(message: SentMessage) -> list[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    return [b["callback_data"] for row in rows for b in row if b.get("callback_data")]
