"""Simulated chat users for `bench.chat_throughput`: who they are, what they do, how their replies are timed.

A user is a person: it sends an update, waits for the reply it needs (the status card, the next question of
the form, the edited list), then sends the next. What it sends is kept, so that the echo bot can be sent
exactly the same updates afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.datagen import LinkedUser
from bot.ui.callbacks.complaints import ComplaintShipmentChoice
from bot.ui.callbacks.tracking import ShipmentOpen, ShipmentsPage, SubscriptionToggle
from sandbox import BotAPISandbox, SandboxUser, SentMessage
from sandbox.state import SandboxState
from sandbox.waiting import explain

TOKEN = "7000002:PORTCRM-bench-token"
REPLY_TIMEOUT = 60.0
LANGUAGES = ("zh-hans",) * 7 + ("en",) * 2 + ("zh-hant",)  # who writes to a Ningbo port's bot


@dataclass(frozen=True)
class Expect:
    """The reply a user waits for: a new message, or the edit of the pressed one."""

    action: str = "send"
    button: str | None = None  # a callback-data prefix the reply's keyboard must carry


SEND, EDIT = Expect("send"), Expect("edit")


class ReplyWatcher:
    """Reads the sandbox's activity log once, in order, and hands each waiting user its reply."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._seen = len(state.activity)
        self._waiting: dict[int, tuple[Expect, asyncio.Future[tuple[float, SentMessage]]]] = {}

    def expect(self, chat_id: int, expect: Expect) -> asyncio.Future[tuple[float, SentMessage]]:
        future = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = (expect, future)
        return future

    async def run(self) -> None:
        while True:
            self._drain()
            await self.state.changed.wait(1.0)

    def _drain(self) -> None:
        log = self.state.activity
        while self._seen < len(log):
            activity = log[self._seen]
            self._seen += 1
            waiting = self._waiting.get(activity.chat_id)
            if waiting is None or activity.action != waiting[0].action:
                continue
            chat = self.state.bots[activity.token].chat(activity.chat_id)
            message = chat.bot_messages.get(activity.message_id)
            if message is None or (waiting[0].button and not buttons(message, waiting[0].button)):
                continue
            del self._waiting[activity.chat_id]
            if not waiting[1].done():
                waiting[1].set_result((activity.at, message))


def buttons(message: SentMessage | None, prefix: str) -> list[str]:
    """Callback data of the message's buttons that start with `prefix`."""
    rows = message.buttons if message else []
    return [data for row in rows for _label, data in row if data and data.startswith(prefix)]


@dataclass(frozen=True)
class Persona:
    """A linked contact, with numbers of their company's cargo: an old shipment's and an active one's."""

    user_id: int
    language: str
    references: tuple[str, ...]  # B/L and booking numbers
    containers: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    """One update a user sent: a text, or a press carrying callback data."""

    label: str
    text: str | None = None
    data: str | None = None
    expect: Expect = SEND


class BudgetSpent(Exception):
    """The pass has sent all its updates: users stop where they are."""


class Pace:
    """An open loop: whoever asks is given the next send time, one every 1/rate seconds, first come first
    served, whatever the bot's replies. `late`: how far behind its time the latest send went (no user was
    free to send it on time)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate
        self._next: float | None = None
        self.late = 0.0

    async def __aenter__(self) -> None:
        now = time.monotonic()
        at = now if self._next is None else self._next
        self._next = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)
        else:
            self.late = max(self.late, now - at)

    async def __aexit__(self, *_: object) -> None:
        return None


@dataclass
class Load:
    """The users of one pass: a shared update budget, the in-flight slots, the timing of every update.

    The echo bot answers everything with a new message, so in echo mode every step waits for one.
    """

    sandbox: BotAPISandbox
    watcher: ReplyWatcher
    budget: int
    slots: asyncio.Semaphore | Pace  # at most so many in flight, or a fixed rate
    echo: bool = False
    samples: list[tuple[str, float]] = field(default_factory=list)
    queued: list[float] = field(default_factory=list)
    replied: list[float] = field(default_factory=list)
    sent: int = 0

    async def update(self, user: SandboxUser, step: Step, last: SentMessage | None) -> SentMessage:
        if self.sent >= self.budget:
            raise BudgetSpent
        self.sent += 1
        async with self.slots:
            waiter = self.watcher.expect(user.id, SEND if self.echo else step.expect)
            if step.data is None:
                self.sandbox.send_text(TOKEN, user, step.text or "")
            else:
                if last is None:
                    raise RuntimeError(f"{step} presses a button before any reply")
                self.sandbox.press_data(TOKEN, user, last, step.data)
            queued = time.monotonic()
            try:
                at, message = await asyncio.wait_for(waiter, REPLY_TIMEOUT)
            except TimeoutError:
                why = explain(self.sandbox.state, TOKEN)
                raise RuntimeError(f"no reply to {step} from user {user.id}; {why}") from None
        self.samples.append((step.label, at - queued))
        self.queued.append(queued)
        self.replied.append(at)
        return message


@dataclass
class Person:
    """One user acting through a `Load`; what it sends is kept in `script`."""

    load: Load
    user: SandboxUser
    persona: Persona
    rng: random.Random
    script: list[Step] = field(default_factory=list)
    last: SentMessage | None = None
    in_form: bool = False

    async def send(self, step: Step) -> SentMessage:
        self.last = await self.load.update(self.user, step, self.last)
        self.script.append(step)
        return self.last

    async def say(self, label: str, text: str, expect: Expect = SEND) -> SentMessage:
        return await self.send(Step(label, text=text, expect=expect))

    async def press(self, label: str, prefix: str, expect: Expect = SEND) -> bool:
        """Press one of the last reply's buttons with this data prefix (at random); False if it has none."""
        options = buttons(self.last, prefix)
        if options:
            await self.send(Step(label, data=self.rng.choice(options), expect=expect))
        return bool(options)


async def track_episode(person: Person) -> None:
    """/track with a B/L or booking number; (un)subscribe on the card if the shipment is still active."""
    await person.say("/track number", f"/track {person.rng.choice(person.persona.references)}")
    await person.press("subscribe button", f"{SubscriptionToggle.__prefix__}:", EDIT)


async def paste_episode(person: Person) -> None:
    """A container number pasted on its own."""
    await person.say("pasted number", person.rng.choice(person.persona.containers))


async def shipments_episode(person: Person) -> None:
    """/shipments, then the next page if there is one, else a shipment's card and its subscribe button."""
    await person.say("/shipments", "/shipments")
    if await person.press("page button", f"{ShipmentsPage.__prefix__}:", EDIT):
        return
    if await person.press("open button", f"{ShipmentOpen.__prefix__}:"):
        await person.press("subscribe button", f"{SubscriptionToggle.__prefix__}:", EDIT)


async def complaint_episode(person: Person) -> None:
    """/complaint: category, no shipment, a description, no files; then Submit, Cancel or /cancel."""
    person.in_form = True
    await person.say("/complaint", "/complaint", Expect("send", "cpcat:"))
    await person.press("complaint category", "cpcat:")
    await person.press("complaint no shipment", ComplaintShipmentChoice(shipment_id=0).pack())
    description = "集装箱晚到了三天，请尽快说明原因。"
    await person.say("complaint description", description, Expect("send", "cpdft:done:"))
    await person.press("complaint skip files", "cpdft:done:", Expect("send", "cpdft:submit:"))
    ending = person.rng.random()
    if ending < 0.4:
        await person.press("complaint submit", "cpdft:submit:")
    elif ending < 0.7:
        await person.press("complaint cancel button", "cpdft:cancel:", EDIT)
    else:
        await person.say("/cancel", "/cancel")
    person.in_form = False


#: What users do, and how often: mostly cargo status, some complaints, buttons on both.
EPISODES: tuple[tuple[Callable[[Person], Awaitable[None]], float], ...] = (
    (track_episode, 0.40),
    (paste_episode, 0.25),
    (shipments_episode, 0.20),
    (complaint_episode, 0.15),
)


async def track_flood(person: Person) -> None:
    """/track of the company's own shipments, one after another, until the pass's budget is spent."""
    with contextlib.suppress(BudgetSpent):
        while True:
            await person.say("/track number", f"/track {person.rng.choice(person.persona.references)}")


async def live(person: Person) -> None:
    """Episodes until the pass's budget is spent."""
    episodes, weights = zip(*EPISODES, strict=True)
    with contextlib.suppress(BudgetSpent):
        while True:
            await person.rng.choices(episodes, weights)[0](person)


async def replay(person: Person, script: Sequence[Step]) -> None:
    for step in script:
        await person.send(step)


def choose_personas(path: Path, linked: Sequence[LinkedUser], users: int) -> list[Persona]:
    """The linked contacts whose company has cargo on the move (the people who ask a port's bot) first.

    Each gets the numbers `datagen` names (an older shipment: its card renders with no subscribe button)
    and those of the company's latest active shipment (its card can be subscribed to).
    """
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT s.customer_id, s.bl_number, s.booking_ref, "
            "(SELECT min(number) FROM containers WHERE shipment_id = s.id) FROM shipments s "
            "JOIN (SELECT max(id) AS id FROM shipments WHERE completed = 0 AND customer_id <= ? "
            "GROUP BY customer_id) latest ON latest.id = s.id",
            (max(u.customer_id for u in linked),),
        )
        active = {customer_id: (bl, booking, container) for customer_id, bl, booking, container in rows}
    finally:
        connection.close()
    ranked = sorted(linked, key=lambda u: (u.customer_id not in active, u.customer_id))[:users]
    personas = []
    for n, user in enumerate(ranked):
        bl, booking, container = active.get(user.customer_id, (None, None, None))
        references = tuple(r for r in (user.bl_number, user.booking_ref, bl or booking) if r)
        containers = tuple(c for c in (user.container, container) if c)
        personas.append(Persona(user.telegram_user_id, LANGUAGES[n % len(LANGUAGES)], references, containers))
    return personas
