"""Fault campaign (issue 15): the real bot under random Telegram faults and kill -9, measured by the sandbox.

    .venv/bin/python -m bench.fault_campaign --quick            # ~300 updates, SQLite, phase 1 only: minutes
    .venv/bin/python -m bench.fault_campaign                    # 2,000 updates on SQLite (phase 2 skipped)
    .venv/bin/python -m bench.fault_campaign \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test --redis-url redis://127.0.0.1:6379/14

Phase 1, polling: `portcrm run` in a process of its own (`bench.bot_process`) against the Bot API sandbox
over HTTP, flood limits on, on a scratch SQLite database (or PostgreSQL with --database-url). About 20
linked customers (`bench.datagen` data, `bench.chat_users` personas) act like people: an update, the reply,
a second or so, sometimes a quick burst; /start, /help, /track (their own cargo, and unknown numbers that
the reply quotes), /shipments and its buttons, and complaint forms to the end (category, shipment,
description, a file or not, Submit). The bot is killed with SIGKILL twice, the second time just after
someone pressed Submit, and started again at once. Every request of a sending method draws a fault:
10 % 429 (retry_after 1-3 s), 10 % 5xx (500, or nginx's 502 page), 10 % dropped connection, none of them
performed (`bench.fault_sandbox`).

Phase 2 (with --database-url and --redis-url): two `portcrm run --webhook` instances on a fresh PostgreSQL
database and Redis, behind a round-robin proxy that answers 502 for an instance that is down (the sandbox
then delivers the update again); one instance is killed with SIGKILL mid-phase and not restarted. Each
instance paces itself at its share of the overall rate (PORTCRM_TELEGRAM_RATE=14), as docs/operations.md
says to configure several instances.

Every figure comes from the sandbox's records, or from the database at the end for stored complaints;
never from the bot's logs. A person's patience is counted in seconds while the bot was up (from the
first request of a started process until it was killed), so the restarts themselves are not held against
it. People are persistent as people are: a form's step that brings no prompt within 15 s (or an apology)
is done again (the same button pressed, the same text sent), 4 times in all over about a minute, before
they give up; a Submit without a ticket is pressed again, 3 times in all, then /complaints is sent, twice.
A /complaint answered with the offer of a form they had left (a /complaint done again puts the first
one aside) is answered Start over. The details file gives each item's chat, clock time, what the user did
and what the bot showed.

- updates received: polling, update ids below the highest getUpdates offset; webhook, answered 2xx.
- requests inside a retry_after window: a sending request (a button's answer included) that arrived for a
  chat while a 429 the sandbox had answered for that chat, to any method (or a bot-wide flood 429, for any
  chat), still had time to run.
- callback queries unanswered or late: presses never answered, or first answered > 15 s (up) after the
  press. Counted apart: presses within whose 15 s the bot polled for less than a second (made while it was
  down, its successor not yet polling, or just before it was killed, and it polled again only more than
  15 s after), which nobody could answer in Telegram's time. Each restart's time is reported: from the
  kill to the new process's first request, and to its first poll, with the machine's load average.
- complaints lost: drafts whose user pressed Submit, or gave up a step (no prompt after 4 tries), with no
  complaint stored carrying the draft's token (each description carries one).
- confirmations never shown: stored complaints whose ticket (CP-...) no message in the user's chat ever
  contained, after the Submit presses and /complaints above.
- updates handled twice: an update whose token-bearing reply was shown twice (/track of an unknown number,
  the form's summary, the thank-you for a Submit press), plus complaints stored twice for one draft.

Exits 1 if a must-be-zero figure is not zero.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import re
import signal
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from bench.chat_users import LANGUAGES, Persona, buttons, choose_personas
from bench.common import machine, pg_database, print_table, sqlite_file, sqlite_url
from bench.datagen import LinkedUser, World, fill_postgres, prepare_sqlite
from bench.fault_sandbox import (
    KINDS,
    ConcurrentDelivery,
    FaultAdapter,
    RandomFaults,
    Recorder,
    RoundRobinProxy,
)
from bot.telegram.retry_after import OVERALL_PER_SECOND
from bot.ui.callbacks.complaints import ComplaintShipmentChoice
from bot.ui.callbacks.forms import PausedFormAction, PausedStep
from bot.ui.callbacks.tracking import ShipmentOpen, ShipmentsPage, SubscriptionToggle
from portcrm.i18n import compile_catalogs, gettext_for
from portcrm.models import Complaint
from portcrm.settings import LOCALES, PROJECT_ROOT
from portcrm.storage import migrate
from portcrm.storage.db import Database
from sandbox import BotAPISandbox, SandboxUser, SentMessage, tiny_png

CALLBACK_LIMIT = 15.0  # seconds (bot up) a press may wait for its answer
UNANSWERABLE_UP = 1.0  # seconds of the bot up within a press's 15 s below which nobody could answer it
# A person's patience, counted while the bot is up: when nothing comes, they do it again, a few times over
# about a minute, before giving up (a form) or checking with /complaints (a Submit without a ticket).
STEP_WAIT = 15.0  # seconds a person waits for the form's next prompt before doing the step again
STEP_TRIES = 4  # times a form's step is done before giving up: about a minute
CONFIRM_WAIT = 15.0  # seconds a person waits for the complaint's confirmation before pressing Submit again
SUBMIT_TRIES = 3  # Submit presses without a ticket before asking /complaints
LIST_TRIES = 2  # /complaints sent to look for the ticket
REPLY_WAIT = 30.0  # any other reply
SETTLE_QUIET = 3.0
SETTLE_LIMIT = 90.0
TICKET = re.compile(r"CP-\d{4}-\d{6}")
DRAFT_TOKEN = re.compile(r"cq-[0-9a-f]{8}")
DESCRIPTION = "集装箱晚到了三天，请尽快说明原因。编号 {token}"

_CHILDREN: set[int] = set()  # bot processes alive, killed by main() whatever happens


def _texts(msgid: str, cut: str) -> tuple[str, ...]:
    """What a message starts with in each language, as plain text (up to the first placeholder or tag)."""
    return tuple({gettext_for(locale)(msgid).split(cut)[0] for locale in LOCALES})


@dataclass(frozen=True)
class Texts:
    apology: tuple[str, ...]
    thanks: tuple[str, ...]
    describe: tuple[str, ...]

    @classmethod
    def load(cls) -> Texts:
        compile_catalogs()
        return cls(
            apology=_texts(
                "Sorry, something went wrong on our side. Please try again later. Incident: {incident}",
                "{incident}",
            ),
            thanks=_texts(
                "Thank you. Your complaint is registered as <b>{ticket}</b>. We will keep you informed here; "
                "send /complaints to follow it.",
                "<b>",
            ),
            describe=_texts(
                "Please describe the problem: what happened, when, and what you expect from us.", "\0"
            ),
        )


def text_of(message: SentMessage) -> str:
    return message.text or message.caption or ""


def versions(message: SentMessage) -> list[SentMessage]:
    return [*message.history, message]


def as_sent(message: SentMessage) -> SentMessage:
    """The message as it was first sent (edits keep the earlier versions in `history`)."""
    return message.history[0] if message.history else message


class UpClock:
    """Seconds during which the bot was up: a person's patience runs only while someone can answer."""

    def __init__(self) -> None:
        self.intervals: list[list[float]] = []  # [start, end]; end is inf while up

    @property
    def is_up(self) -> bool:
        return bool(self.intervals) and self.intervals[-1][1] == float("inf")

    def up(self, at: float | None = None) -> None:
        if not self.is_up:
            self.intervals.append([at or time.monotonic(), float("inf")])

    def down(self) -> None:
        if self.is_up:
            self.intervals[-1][1] = time.monotonic()

    def at(self, moment: float) -> float:
        return sum(max(0.0, min(end, moment) - start) for start, end in self.intervals if start < moment)

    def now(self) -> float:
        return self.at(time.monotonic())

    def downtime(self, since: float) -> float:
        return (time.monotonic() - since) - (self.now() - self.at(since))


# --- what the users did ------------------------------------------------------------------------------


@dataclass
class Event:
    """A message the bot sent or edited in a chat, as the watcher saw it."""

    at: float
    action: str
    message: SentMessage


@dataclass
class Press:
    query_id: str
    chat: int
    label: str
    at: float


@dataclass
class Draft:
    """One complaint form as its user lived it; `token` is in its description, so in the stored complaint."""

    token: str
    user: int
    key: str | None = None
    stuck_at: str | None = None  # the prompt it waited for in vain, STEP_TRIES times
    skips: int = 0
    submits: int = 0
    cancelled: bool = False
    confirmed: bool = False  # a message with a ticket came after a Submit press (perhaps pressed again)
    asked_list: bool = False  # sent /complaints for want of a confirmation
    since: float = 0.0  # when the step it got stuck at, or its first Submit press, began
    gave_up: float = 0.0  # when its user stopped waiting for that step


@dataclass
class Tally:
    """Everything the users sent and saw in one phase."""

    updates: list[int] = field(default_factory=list)
    said: list[tuple[float, int, str]] = field(default_factory=list)  # (when, chat, what) for the timelines
    track_tokens: dict[str, int] = field(default_factory=dict)  # token -> chat
    presses: list[Press] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    no_reply: Counter[str] = field(default_factory=Counter)
    apologies: int = 0
    retried_steps: int = 0


class Phase:
    """The sandbox, the users and the clock of one phase."""

    def __init__(self, name: str, sandbox: BotAPISandbox, token: str, texts: Texts, args: argparse.Namespace):
        self.name, self.sandbox, self.token, self.texts, self.args = name, sandbox, token, texts, args
        self.clock = UpClock()
        self.tally = Tally()
        self.events: dict[int, list[Event]] = {}
        self.changed = asyncio.Event()
        self.budget = args.updates
        self.deadline = time.monotonic() + args.time_limit
        self.submitted = asyncio.Event()  # set at each Submit press (the killer waits for one)
        self._seen = 0
        self._tokens = random.Random(args.seed * 7 + len(name))
        self.policy = RandomFaults(random.Random(args.seed))
        self.recorder = Recorder(sandbox)
        self.adapter = FaultAdapter(sandbox, self.policy, self.recorder)
        self.recorder.install()
        self.adapter.install()
        self.ended = False
        self.people: list[Person] = []
        self.kills: list[float] = []  # when a bot process was killed
        self.outages: list[tuple[float, float]] = []  # (killed, polling again) of each restart

    @property
    def bot(self) -> Any:
        return self.sandbox.state.bots[self.token]

    def more(self) -> bool:
        return len(self.tally.updates) < self.budget and time.monotonic() < self.deadline and not self.ended

    def overdue(self) -> bool:
        """Past the phase's time limit and its grace: every wait ends."""
        patience = STEP_WAIT * STEP_TRIES + CONFIRM_WAIT * (SUBMIT_TRIES + LIST_TRIES)
        return time.monotonic() > self.deadline + patience

    def token_hex(self) -> str:
        return "".join(self._tokens.choice("0123456789abcdef") for _ in range(8))

    async def watch(self) -> None:
        """Hand each bot message to its chat's event list, in the sandbox's order."""
        state = self.sandbox.state
        while True:
            log = state.activity
            while self._seen < len(log):
                activity = log[self._seen]
                self._seen += 1
                if activity.token != self.token:
                    continue
                message = (
                    state.bots[activity.token].chat(activity.chat_id).bot_messages.get(activity.message_id)
                )
                if message is not None:
                    self.events.setdefault(activity.chat_id, []).append(
                        Event(activity.at, activity.action, message)
                    )
            self.changed.set()
            self.changed = asyncio.Event()
            await state.changed.wait(1.0)

    def is_apology(self, text: str) -> bool:
        return text.startswith(self.texts.apology)


class Person:
    """One linked customer chatting with the bot as a person would."""

    def __init__(self, phase: Phase, persona: Persona, user: SandboxUser, rng: random.Random) -> None:
        self.phase, self.persona, self.user, self.rng = phase, persona, user, rng
        self.chat = user.id

    # -- acting --

    def mark(self) -> int:
        return len(self.phase.events.get(self.chat, []))

    def say(self, text: str) -> int:
        update = self.phase.sandbox.send_text(self.phase.token, self.user, text)
        self.phase.tally.updates.append(update["update_id"])
        self.phase.tally.said.append(
            (time.monotonic(), self.chat, f"user: {text[:24]!r} #{update['update_id']}")
        )
        return update["update_id"]

    def send_photo(self) -> None:
        update = self.phase.sandbox.send_photo(self.phase.token, self.user, tiny_png(4, 3), caption=None)
        self.phase.tally.updates.append(update["update_id"])
        self.phase.tally.said.append((time.monotonic(), self.chat, f"user: a photo #{update['update_id']}"))

    def press(self, message: SentMessage, data: str, label: str) -> Press | None:
        try:
            update = self.phase.sandbox.press_data(self.phase.token, self.user, message.message_id, data)
        except LookupError:  # the message is gone
            return None
        query_id = update["callback_query"]["id"]
        self.phase.recorder.query_chats[query_id] = self.chat
        press = Press(query_id, self.chat, label, time.monotonic())
        self.phase.tally.presses.append(press)
        self.phase.tally.updates.append(update["update_id"])
        self.phase.tally.said.append(
            (time.monotonic(), self.chat, f"user: pressed {label} #{update['update_id']}")
        )
        if data.startswith("cpdft:submit:"):
            self.phase.submitted.set()
            self.phase.submitted = asyncio.Event()
        return press

    async def think(self) -> None:
        await asyncio.sleep(self.rng.uniform(0.3, 1.3))

    # -- waiting --

    async def wait(
        self,
        found: Callable[[Event], bool],
        since: int,
        limit: float,
        press: Press | None = None,
        *,
        answer_counts: bool = False,
        apologies_since: int | None = None,
    ) -> tuple[str, Event | None]:
        """("ok", event) for the first event after `since` that is `found`; ("apology", None) once an apology
        came instead (after `apologies_since`, by default `since`); ("timeout", None) after `limit` seconds
        of the bot up."""
        phase = self.phase
        started = phase.clock.now()
        fresh = since if apologies_since is None else apologies_since
        while True:
            events = phase.events.get(self.chat, [])[since:]
            for event in events:
                if found(event):
                    return "ok", event
            if press is not None and press.query_id in phase.recorder.answered:
                answer = phase.recorder.answer_texts.get(press.query_id, "")
                if phase.is_apology(answer):
                    return "apology", None
                if answer_counts:
                    return "ok", None
            if any(
                e.action == "send" and phase.is_apology(text_of(e.message))
                for e in phase.events.get(self.chat, [])[fresh:]
            ):
                return "apology", None
            if phase.clock.now() - started >= limit or phase.overdue():
                return "timeout", None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(phase.changed.wait(), 0.5)

    async def ask(self, text: str, label: str, found: Callable[[Event], bool] | None = None) -> Event | None:
        since = self.mark()
        self.say(text)
        outcome, event = await self.wait(found or (lambda e: True), since, REPLY_WAIT)
        self._count(outcome, label)
        return event

    async def tap(
        self, message: SentMessage, prefix: str, label: str, found: Callable[[Event], bool] | None = None
    ) -> Event | None:
        """Press one of the message's buttons with this prefix, if it has one; the reply (None if none)."""
        options = buttons(message, prefix)
        if not options:
            return None
        since = self.mark()
        press = self.press(message, self.rng.choice(options), label)
        if press is None:
            return None
        outcome, event = await self.wait(
            found or (lambda e: True), since, REPLY_WAIT, press, answer_counts=True
        )
        self._count(outcome, label)
        return event

    def _count(self, outcome: str, label: str) -> None:
        if outcome == "apology":
            self.phase.tally.apologies += 1
        elif outcome == "timeout":
            self.phase.tally.no_reply[label] += 1

    # -- the form's steps: done again when nothing comes, as a person would --

    async def step(
        self, act: Callable[[], Press | None], found: Callable[[Event], bool], label: str, draft: Draft
    ) -> Event | None:
        """Do the step (press its button, send its text) and wait for the next prompt; after an apology, or
        STEP_WAIT seconds of nothing, do it again, STEP_TRIES times in all, then give up and /cancel. A
        prompt that comes late, after the step was done again, still counts."""
        began, first = time.monotonic(), self.mark()
        for tries in range(1, STEP_TRIES + 1):
            latest = self.mark()
            press = act()
            outcome, event = await self.wait(found, first, STEP_WAIT, press, apologies_since=latest)
            if outcome == "ok":
                return event
            if outcome == "apology":
                self.phase.tally.apologies += 1
            if tries < STEP_TRIES:
                self.phase.tally.retried_steps += 1
                await self.think()
        draft.stuck_at, draft.since, draft.gave_up = label, began, time.monotonic()
        self.phase.tally.no_reply[f"form: {label}"] += 1
        await self.ask("/cancel", "/cancel after a stuck form")
        return None

    # -- episodes --

    async def run(self) -> None:
        episodes: tuple[tuple[Callable[[], Awaitable[None]], float], ...] = (
            (self.start_or_help, 0.08),
            (self.track_unknown, 0.27),
            (self.track_own, 0.17),
            (self.shipments, 0.18),
            (self.complaint, 0.30),
        )
        actions, weights = zip(*episodes, strict=True)
        await asyncio.sleep(self.rng.uniform(0, 2))
        while self.phase.more():
            await self.rng.choices(actions, weights)[0]()
            await self.think()

    async def start_or_help(self) -> None:
        await self.ask(self.rng.choice(("/start", "/help")), "/start or /help")

    async def track_unknown(self) -> None:
        """/track of numbers no shipment has (a '.' makes them invalid): the refusal quotes each back.

        Sometimes two or three in a quick burst, as a person pasting from a list."""
        count = 1 if self.rng.random() < 0.7 else self.rng.randint(2, 3)
        since = self.mark()
        tokens = []
        for n in range(count):
            if n:
                await asyncio.sleep(self.rng.uniform(0.1, 0.4))
            token = f"N.{self.phase.token_hex().upper()}"
            tokens.append(token)
            self.phase.tally.track_tokens[token] = self.chat
            self.say(f"/track {token}")
        for token in tokens:
            outcome, _ = await self.wait(lambda e, t=token: t in text_of(e.message), since, REPLY_WAIT)
            self._count(outcome, "/track unknown number")

    async def track_own(self) -> None:
        if self.rng.random() < 0.3 and self.persona.containers:
            card = await self.ask(self.rng.choice(self.persona.containers), "pasted container number")
        else:
            card = await self.ask(f"/track {self.rng.choice(self.persona.references)}", "/track own number")
        if card is not None and self.rng.random() < 0.6:
            await self.think()
            await self.tap(card.message, f"{SubscriptionToggle.__prefix__}:", "subscribe button")

    async def shipments(self) -> None:
        listing = await self.ask("/shipments", "/shipments")
        if listing is None:
            return
        await self.think()
        if buttons(listing.message, f"{ShipmentsPage.__prefix__}:") and self.rng.random() < 0.5:
            await self.tap(listing.message, f"{ShipmentsPage.__prefix__}:", "page button")
            return
        card = await self.tap(
            listing.message,
            f"{ShipmentOpen.__prefix__}:",
            "open button",
            lambda e: e.action == "send",
        )
        if card is not None and card.message.chat_id == self.chat:
            await self.think()
            await self.tap(card.message, f"{SubscriptionToggle.__prefix__}:", "subscribe button")

    async def complaint(self) -> None:
        phase, texts = self.phase, self.phase.texts
        draft = Draft(f"cq-{phase.token_hex()}", self.chat)
        phase.tally.drafts.append(draft)

        def sent_with(prefix: str, token: str | None = None) -> Callable[[Event], bool]:
            return lambda e: (
                e.action == "send"
                and bool(buttons(e.message, prefix))
                and (token is None or token in text_of(e.message))
            )

        def describe_prompt(e: Event) -> bool:
            return e.action == "send" and text_of(e.message).startswith(texts.describe)

        def choose(message: SentMessage, prefix: str, label: str) -> Callable[[], Press | None]:
            data = self.rng.choice(buttons(message, prefix))

            def again() -> Press | None:  # the same button, while the message still has it
                current = phase.bot.chat(self.chat).bot_messages.get(message.message_id)
                return self.press(current, data, label) if data in buttons(current, data) else None

            return again

        def typed(text: str) -> Callable[[], None]:
            return lambda: (self.say(text), None)[1]

        start_over = PausedFormAction(step=PausedStep.START_OVER, form="ComplaintForm").pack()
        asked = await self.step(
            typed("/complaint"),
            lambda e: sent_with("cpcat:")(e) or sent_with(start_over)(e),
            "category question",
            draft,
        )
        if asked is not None and buttons(asked.message, start_over):
            # an earlier form of theirs was put aside: a person starting a new complaint starts over
            asked = await self.step(
                choose(asked.message, start_over, "start over"),
                sent_with("cpcat:"),
                "category question",
                draft,
            )
        if asked is None:
            return
        await self.think()
        which = await self.step(
            choose(asked.message, "cpcat:", "complaint category"),
            lambda e: sent_with("cpshp:")(e) or describe_prompt(e),
            "shipment question or description prompt",
            draft,
        )
        if which is None:
            return
        if not describe_prompt(which):
            await self.think()
            none = ComplaintShipmentChoice(shipment_id=0).pack()
            prefix = none if self.rng.random() < 0.7 else "cpshp:"
            described = await self.step(
                choose(which.message, prefix, "complaint shipment"),
                describe_prompt,
                "description prompt",
                draft,
            )
            if described is None:
                return
        await self.think()
        files = await self.step(
            typed(DESCRIPTION.format(token=draft.token)), sent_with("cpdft:done:"), "files prompt", draft
        )
        if files is None:
            return
        draft.key = buttons(files.message, "cpdft:done:")[0].rsplit(":", 1)[1]
        if self.rng.random() < 0.3:
            await self.think()
            received = await self.step(
                lambda: (self.send_photo(), None)[1],
                sent_with("cpdft:done:"),
                "files prompt after a photo",
                draft,
            )
            if received is None:
                return
            files = received
        await self.think()
        draft.skips += 1
        summary = await self.step(
            choose(files.message, "cpdft:done:", "complaint skip/done"),
            sent_with("cpdft:submit:", draft.token),
            "summary",
            draft,
        )
        if summary is None:
            return
        await self.think()
        ending = self.rng.random()
        if ending < 0.08:
            draft.cancelled = True
            await self.tap(summary.message, "cpdft:cancel:", "complaint cancel button")
            return
        if ending < 0.15:
            draft.cancelled = True
            await self.ask("/cancel", "/cancel")
            return
        await self.submit(summary.message, draft)

    async def submit(self, summary: SentMessage, draft: Draft) -> None:
        """Submit; without a ticket shown within CONFIRM_WAIT, Submit again (while the button is there), up to
        SUBMIT_TRIES presses; then /complaints, LIST_TRIES times. A ticket shown late still counts."""
        phase = self.phase

        def with_ticket(e: Event) -> bool:
            return bool(TICKET.search(text_of(e.message)))

        data = f"cpdft:submit:{draft.key}"
        first = self.mark()
        draft.since = time.monotonic()
        for _attempt in range(SUBMIT_TRIES):
            current = phase.bot.chat(self.chat).bot_messages.get(summary.message_id)
            if current is None or data not in buttons(current, "cpdft:submit:"):
                break  # the button is gone: nothing to press again
            latest = self.mark()
            draft.submits += 1
            press = self.press(current, data, "complaint submit")
            outcome, _event = await self.wait(with_ticket, first, CONFIRM_WAIT, press, apologies_since=latest)
            if outcome == "ok":
                draft.confirmed = True
                return
            self._count(outcome, "complaint confirmation")
            await self.think()
        draft.asked_list = True
        for _attempt in range(LIST_TRIES):
            latest = self.mark()
            self.say("/complaints")
            outcome, _event = await self.wait(with_ticket, first, CONFIRM_WAIT, apologies_since=latest)
            if outcome == "ok":
                return
            self._count(outcome, "/complaints after no confirmation")
            await self.think()


# --- the data -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Data:
    url: str
    world: World
    personas: list[Persona]


SIZES = {"customers": 1_000, "shipments": 10_000, "invoices": 0}


async def sqlite_data(workdir: Path, users: int) -> Data:
    path = sqlite_file(str(workdir), "campaign.db")
    world = await asyncio.to_thread(prepare_sqlite, path, linked_users=8 * users, **SIZES)
    return Data(sqlite_url(path), world, choose_personas(path, world.linked, users))


async def postgres_data(url: str, users: int) -> Data:
    await migrate.upgrade_async(url)
    world = await asyncio.to_thread(fill_postgres, url, linked_users=8 * users, **SIZES)
    return Data(url, world, await _postgres_personas(url, world.linked, users))


async def _postgres_personas(url: str, linked: Sequence[LinkedUser], users: int) -> list[Persona]:
    """`bench.chat_users.choose_personas`, on PostgreSQL."""
    import asyncpg
    from sqlalchemy.engine import make_url

    connection = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        rows = await connection.fetch(
            "SELECT s.customer_id, s.bl_number, s.booking_ref, "
            "(SELECT min(number) FROM containers WHERE shipment_id = s.id) AS container FROM shipments s "
            "JOIN (SELECT max(id) AS id FROM shipments WHERE NOT completed AND customer_id <= $1 "
            "GROUP BY customer_id) latest ON latest.id = s.id",
            max(u.customer_id for u in linked),
        )
    finally:
        await connection.close()
    active = {r["customer_id"]: (r["bl_number"], r["booking_ref"], r["container"]) for r in rows}
    ranked = sorted(linked, key=lambda u: (u.customer_id not in active, u.customer_id))[:users]
    personas = []
    for n, user in enumerate(ranked):
        bl, booking, container = active.get(user.customer_id, (None, None, None))
        references = tuple(r for r in (user.bl_number, user.booking_ref, bl or booking) if r)
        containers = tuple(c for c in (user.container, container) if c)
        personas.append(Persona(user.telegram_user_id, LANGUAGES[n % len(LANGUAGES)], references, containers))
    return personas


# --- the bot's processes ------------------------------------------------------------------------------


@dataclass
class BotProcess:
    """One `portcrm run` (polling, or a webhook instance) in a process of its own."""

    name: str
    env: dict[str, str]
    log: Path
    extra: list[str] = field(default_factory=list)
    process: asyncio.subprocess.Process | None = None
    starts: int = 0

    async def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n=== start {self.starts} at {dt.datetime.now():%H:%M:%S} ===\n".encode())
            out.flush()
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.bot_process",
                "real",
                *self.extra,
                stdout=out,
                stderr=out,
                cwd=PROJECT_ROOT,
                env=self.env,
                start_new_session=True,  # Ctrl-C in the terminal reaches this script, which stops them
            )
        _CHILDREN.add(self.process.pid)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill9(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        await self.process.wait()
        _CHILDREN.discard(self.process.pid)

    async def stop(self) -> None:
        if not self.alive:
            return
        assert self.process is not None
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            await self.kill9()
        _CHILDREN.discard(self.process.pid)


def bot_env(token: str, database_url: str, sandbox: BotAPISandbox, redis_url: str | None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("PORTCRM_")}
    env |= {
        "PORTCRM_BOT_TOKEN": token,
        "PORTCRM_DATABASE_URL": database_url,
        "PORTCRM_TELEGRAM_API_URL": sandbox.base_url,
        "PORTCRM_RUN_SCHEDULER": "false",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    if redis_url:
        env["PORTCRM_REDIS_URL"] = redis_url
    return env


async def until(check: Callable[[], bool], limit: float, what: str, step: float = 0.05) -> None:
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(step)


async def started_polling(phase: Phase, bot: BotProcess, limit: float = 180.0) -> float:
    """Up from the new process's first request; ready once it polls. Returns when its first request came."""
    state = phase.sandbox.state
    calls_before = len(state.calls)
    polls_before = sum(1 for c in state.calls if c.method.lower() == "getupdates")

    def first_request() -> bool:
        if not bot.alive:
            raise RuntimeError(f"{bot.name} exited; see {bot.log}")
        return len(state.calls) > calls_before

    await until(first_request, limit, f"{bot.name}'s first request")
    first = time.monotonic()
    phase.clock.up()
    await until(
        lambda: sum(1 for c in state.calls if c.method.lower() == "getupdates") > polls_before,
        limit,
        f"{bot.name} polling",
    )
    return first


async def restart_after_kill(phase: Phase, bot: BotProcess, kills: list[str], why: str) -> None:
    """Kill -9 and start again at once: the restart's time is the process's start-up (its first request:
    Python and the imports; then the replay of what the kill cut off) until it polls again."""
    moment = time.monotonic()
    phase.kills.append(moment)
    phase.clock.down()
    await bot.kill9()
    kills.append(f"{bot.name} killed with SIGKILL {why} after {len(phase.tally.updates)} updates")
    await bot.start()
    first = await started_polling(phase, bot)
    back = time.monotonic()
    phase.outages.append((moment, back))
    kills[-1] += (
        f"; restarted: its first request {first - moment:.1f} s after the kill, polling again after "
        f"{back - moment:.1f} s (load average {os.getloadavg()[0]:.1f})"
    )


# --- settling and counting ----------------------------------------------------------------------------


async def settle(phase: Phase) -> str:
    """After the users: until nothing is pending and no request came for a few seconds (bounded)."""
    state, bot = phase.sandbox.state, phase.bot
    deadline = time.monotonic() + SETTLE_LIMIT
    while time.monotonic() < deadline:
        quiet = time.monotonic() - state.last_call_time
        if not bot.updates and state.calls_in_flight == 0 and quiet >= SETTLE_QUIET:
            return "settled"
        await asyncio.sleep(0.2)
    return f"not settled after {SETTLE_LIMIT:.0f} s ({len(bot.updates)} updates pending)"


@dataclass
class Figures:
    phase: str
    rows: list[tuple[str, object, str]] = field(default_factory=list)  # (figure, value, must be zero?)
    notes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # printed: counts by cause
    items: list[str] = field(default_factory=list)  # written to a file: every item with its timeline
    _causes: Counter[tuple[str, str]] = field(default_factory=Counter)
    _examples: dict[tuple[str, str], str] = field(default_factory=dict)

    def explain(
        self, what: str, label: str, items: Timeline, start: float, full: Timeline | None = None
    ) -> None:
        """One non-zero item: counted by its verdict, kept in full (with `full`, what the user did and saw,
        and the wall-clock time, to find it in the bot's log) for the details file."""
        key = (what, verdict(items))
        self._causes[key] += 1
        self._examples.setdefault(key, f"{label}: {told(items, start)}")
        began = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=time.monotonic() - start)
        detail = told(full if full is not None else items, start, most=80)
        self.items.append(f"{what}: {label} (from {began:%H:%M:%S.%f} UTC): {detail}")

    def causes(self) -> list[str]:
        return [
            f"{what}: {n} × {why}\n      e.g. {self._examples[(what, why)]}"
            for (what, why), n in sorted(self._causes.items(), key=lambda kv: (kv[0][0], -kv[1]))
        ]

    def add(self, name: str, value: object, must_be_zero: bool = False) -> None:
        self.rows.append((name, value, "must be 0" if must_be_zero else ""))

    @property
    def failed(self) -> list[str]:
        return [name for name, value, zero in self.rows if zero and value != 0]


async def stored_complaints(url: str) -> list[Complaint]:
    db = Database(url)
    try:
        async with db.session() as session:
            rows = list(await session.scalars(select(Complaint)))
            await session.commit()
    finally:
        await db.dispose()
    return rows


Timeline = list[tuple[float, str]]


def timeline(phase: Phase, chat: int, start: float, end: float) -> Timeline:
    """What happened to a chat's requests meanwhile, in order: the faults injected, the requests the sandbox
    refused (flood 429s, a callback query answered twice...), and kills of the bot."""
    items = [(at, "kill -9 of the bot") for at in phase.kills if start <= at <= end]
    items += [
        (at, f"{kind} {method}")
        for at, kind, method, c in phase.adapter.log
        if c == chat and start <= at <= end
    ]
    items += [(at, what) for at, what, c in phase.recorder.refusals if c == chat and start <= at <= end]
    return sorted(items)


def conversation(phase: Phase, chat: int, start: float, end: float) -> Timeline:
    """The timeline with what the user did and what the bot showed (for the details file)."""
    items = timeline(phase, chat, start, end)
    items += [(at, what) for at, c, what in phase.tally.said if c == chat and start <= at <= end]
    items += [
        (e.at, f"bot {e.action}: {text_of(e.message)[:30]!r}")
        for e in phase.events.get(chat, [])
        if start <= e.at <= end
    ]
    return sorted(items)


def told(items: Timeline, start: float, most: int = 5) -> str:
    if not items:
        return "nothing injected, refused or killed"
    shown = ", ".join(f"{what} +{at - start:.1f}s" for at, what in items[:most])
    return shown + (f", … ({len(items) - most} more)" if len(items) > most else "")


def verdict(items: Timeline) -> str:
    """The first event of the timeline that a handler cannot get past as the product stands."""
    failures: Counter[str] = Counter()
    for _at, what in items:
        kind, _, rest = what.partition(" ")
        method = rest.split(" ")[0]
        if what.startswith("kill -9"):
            return "kill -9 (of the bot; in phase 2, of an instance)"
        if kind == "502-html":
            return f"a 502 HTML page on {method} (aiogram's ClientDecodeError: not retried)"
        if "query is too old" in what:
            return "answerCallbackQuery refused as too old (late, or answered already)"
        failures[method] += 1
        if failures[method] >= 3:
            return f"three failed tries of {method} (429/500/drop)"
    return "no fatal fault seen: " + ", ".join(what for _at, what in items[:3]) if items else "nothing seen"


def down_past_its_time(phase: Phase, press: Press) -> bool:
    """Within Telegram's 15 s after the press, the bot polled for less than UNANSWERABLE_UP: pressed while
    it was down, or just before it was killed, and not polling again until more than 15 s after the press."""
    end = press.at + CALLBACK_LIMIT
    down = sum(max(0.0, min(back, end) - max(killed, press.at)) for killed, back in phase.outages)
    return CALLBACK_LIMIT - down < UNANSWERABLE_UP


def count(phase: Phase, complaints: list[Complaint], received: int, figures: Figures) -> None:
    tally, recorder, adapter, clock = phase.tally, phase.recorder, phase.adapter, phase.clock
    bot = phase.bot
    figures.add("updates sent by the users", len(tally.updates))
    figures.add("updates received by the bot", received)
    faults = sum(adapter.injected.values())
    share = f" of {recorder.requests} sending requests ({100 * faults / max(1, recorder.requests):.0f} %)"
    figures.add("faults injected", f"{faults}{share}")
    for kind in KINDS:
        figures.add(f"  {kind}", adapter.injected[kind])
    figures.add("429 from the flood limits (the bot's own pace)", sum(recorder.flood_429.values()))
    figures.add("requests inside a retry_after window", len(recorder.inside), True)
    for (method, after), n in Counter((i.method, i.window.method) for i in recorder.inside).most_common():
        figures.details.append(f"inside a retry_after window: {n} × {method}, the 429 was on {after}")
    for inside in recorder.inside:
        w = inside.window
        figures.items.append(
            f"inside a window: {inside.method} {inside.text!r} for chat {inside.chat} "
            f"{w.end - w.start - inside.early:.2f} s into a {w.end - w.start:.0f} s window announced to "
            f"{w.method} {w.text!r} ({'injected' if w.injected else 'flood'} 429)"
        )

    # callback queries
    unanswerable = [p for p in tally.presses if down_past_its_time(phase, p)]
    answerable = [p for p in tally.presses if p not in unanswerable]
    unanswered = [p for p in answerable if p.query_id not in recorder.answered]
    late = [
        p
        for p in answerable
        if p.query_id in recorder.answered
        and clock.at(recorder.answered[p.query_id]) - clock.at(p.at) > CALLBACK_LIMIT
    ]
    figures.add("callback queries pressed", len(tally.presses))
    figures.add(
        "  unanswerable: the bot polled < 1 s of the 15 s after the press (kill -9)", len(unanswerable)
    )
    if unanswerable:
        answered = sum(1 for p in unanswerable if p.query_id in recorder.answered)
        figures.notes.append(
            f"{len(unanswerable)} presses came while the bot was down (killed, its successor not yet "
            "polling) or less than a second before it was killed, and it polled again only more than 15 s "
            f"after them: no bot could answer them within Telegram's 15 s ({answered} were answered all "
            "the same); they are counted apart, not as the product's misses"
        )
    figures.add("callback queries unanswered or late (> 15 s)", len(unanswered) + len(late), True)
    for p in unanswered:
        figures.explain(
            "unanswered",
            p.label,
            timeline(phase, p.chat, p.at, p.at + 45),
            p.at,
            conversation(phase, p.chat, p.at - 30, p.at + 45),
        )
    for p in late:
        took = clock.at(recorder.answered[p.query_id]) - clock.at(p.at)
        # from 30 s before the press: a chat held up by an earlier update (its lock, its retries) shows there
        items = timeline(phase, p.chat, p.at - 30, recorder.answered[p.query_id])
        figures.explain("answered late", f"{p.label} after {took:.0f} s (times from the press)", items, p.at)
    still_open = sum(1 for p in unanswered if p.query_id in bot.open_callbacks)
    if still_open != len(unanswered):
        figures.notes.append(f"{len(unanswered) - still_open} unanswered presses are not open in the sandbox")

    # complaints
    by_token: dict[str, list[Complaint]] = {}
    for complaint in complaints:
        for token in DRAFT_TOKEN.findall(complaint.description or ""):
            by_token.setdefault(token, []).append(complaint)
    drafts = tally.drafts
    submitted = [d for d in drafts if d.submits]
    stuck = [d for d in drafts if d.stuck_at]
    lost = [d for d in drafts if (d.submits or d.stuck_at) and d.token not in by_token]
    figures.add("complaint forms started", len(drafts))
    figures.add("  submitted (Submit pressed)", len(submitted))
    figures.add(f"  given up: a prompt not come after {STEP_TRIES} tries over about a minute", len(stuck))
    figures.add("  cancelled by the user", sum(d.cancelled for d in drafts))
    figures.add("complaints stored", len(complaints))
    figures.add("complaints lost", len(lost), True)
    for d in lost:
        where = f"stuck waiting for the {d.stuck_at}" if d.stuck_at else "Submit pressed"
        end = d.gave_up or d.since + CONFIRM_WAIT * (SUBMIT_TRIES + LIST_TRIES) + 10
        full = conversation(phase, d.user, d.since - 30, end)
        figures.explain("lost", where, timeline(phase, d.user, d.since, end), d.since, full)

    # what each chat was shown, every version of every message
    chats = {p.user.id for p in phase.people}
    shown: dict[int, list[SentMessage]] = {}
    for chat in chats:
        log = bot.chat(chat)
        shown[chat] = [*log.bot_messages.values(), *log.deleted]
    texts_shown = {chat: "\n".join(text_of(v) for m in ms for v in versions(m)) for chat, ms in shown.items()}
    draft_of = {d.token: d for d in drafts}
    never_shown = []
    for complaint in complaints:
        tokens = DRAFT_TOKEN.findall(complaint.description or "")
        draft = draft_of.get(tokens[0]) if tokens else None
        where = [draft.user] if draft else list(chats)
        if not any(complaint.ticket in texts_shown.get(chat, "") for chat in where):
            never_shown.append(complaint)
            if draft:
                end = draft.since + CONFIRM_WAIT * (SUBMIT_TRIES + LIST_TRIES) + 30
                items = timeline(phase, draft.user, draft.since, end)
                toasts = [
                    recorder.answer_texts.get(p.query_id, "") for p in tally.presses if p.chat == draft.user
                ]
                toast = (
                    " (it was in a button's toast, not in a message)"
                    if any(complaint.ticket in t for t in toasts)
                    else ""
                )
                full = conversation(phase, draft.user, draft.since - 30, end)
                figures.explain("never shown", complaint.ticket + toast, items, draft.since, full)
    figures.add("confirmations never shown", len(never_shown), True)
    figures.add(
        "  Submit pressed more than once before a ticket showed", sum(d.submits > 1 for d in submitted)
    )
    figures.add(
        f"  no ticket after {SUBMIT_TRIES} Submit presses: /complaints sent",
        sum(d.asked_list for d in drafts),
    )

    # updates handled twice
    sent_texts: dict[int, list[str]] = {chat: [text_of(as_sent(m)) for m in ms] for chat, ms in shown.items()}
    twice: Counter[str] = Counter()
    for token, chat in tally.track_tokens.items():
        if sum(token in t for t in sent_texts.get(chat, [])) > 1:
            twice["/track unknown number"] += 1
            copies = [
                e.at for e in phase.events.get(chat, []) if e.action == "send" and token in text_of(e.message)
            ]
            if len(copies) > 1:
                items = timeline(phase, chat, copies[0] - 30, copies[-1])
                figures.explain("shown twice", f"the reply to /track {token}", items, copies[0] - 30)
    for draft in drafts:
        chat_texts = sent_texts.get(draft.user, [])
        summaries = [
            m
            for m in shown.get(draft.user, [])
            if draft.token in text_of(as_sent(m)) and buttons(as_sent(m), "cpdft:submit:")
        ]
        if len(summaries) > 1:
            twice["complaint Skip/Done (summary shown twice)"] += 1
        stored = by_token.get(draft.token, [])
        if stored:
            thanks = [t for t in chat_texts if stored[0].ticket in t and t.startswith(phase.texts.thanks)]
            if len(thanks) > max(1, draft.submits):
                twice["complaint Submit (thank-you shown twice)"] += 1
    stored_twice = sum(1 for token, rows in by_token.items() if len(rows) > 1)
    keys_twice = sum(
        n - 1 for n in Counter(c.idempotency_key for c in complaints if c.idempotency_key).values()
    )
    figures.add("updates handled twice", sum(twice.values()) + stored_twice, True)
    for label, n in twice.most_common():
        figures.details.append(f"handled twice: {n} × {label}")
    figures.add("  complaints stored twice for one draft", stored_twice)
    if keys_twice:
        figures.notes.append(f"{keys_twice} idempotency keys stored twice (the database should refuse that)")

    # what else the users lived through
    figures.add("apologies shown (incident numbers)", tally.apologies)
    figures.add("form steps done again (an apology, or nothing for 15 s)", tally.retried_steps)
    figures.add("user steps with no reply within 30 s (bot up)", sum(tally.no_reply.values()))
    for label, n in tally.no_reply.most_common():
        figures.details.append(f"no reply: {n} × {label}")
    figures.details += figures.causes()


# --- the phases ---------------------------------------------------------------------------------------


def new_sandbox() -> BotAPISandbox:
    return BotAPISandbox(flood_control=True)


def setup_world(phase: Phase, data: Data, seed: int) -> None:
    sandbox = phase.sandbox
    sandbox.add_bot(phase.token, username="portcrm_campaign_bot", first_name="PortCRM")
    phase.people = []
    for n, persona in enumerate(data.personas):
        user = sandbox.add_user(persona.user_id, f"User {persona.user_id}", language_code=persona.language)
        phase.people.append(Person(phase, persona, user, random.Random(seed * 1_000_003 + n)))
    for member in data.world.staff:  # colleagues have opened the bot: complaint alerts reach them
        sandbox.add_user(member.telegram_user_id, f"Staff {member.telegram_user_id}", language_code="zh-hans")
        phase.bot.started.add(member.telegram_user_id)


@contextlib.asynccontextmanager
async def running(phase: Phase) -> AsyncIterator[None]:
    watcher = asyncio.create_task(phase.watch())
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def polling_phase(args: argparse.Namespace, data: Data, texts: Texts, workdir: Path) -> Figures:
    rng = random.Random(args.seed)
    token = f"{rng.randrange(7_200_000, 7_299_999)}:PORTCRM-campaign"
    figures = Figures("phase 1: polling, " + ("PostgreSQL" if "postgresql" in data.url else "SQLite"))
    kills: list[str] = []
    sandbox = new_sandbox()
    phase = Phase("polling", sandbox, token, texts, args)  # installs the faults before the sandbox starts
    async with sandbox:
        setup_world(phase, data, args.seed)
        bot = BotProcess("the bot", bot_env(token, data.url, sandbox, None), workdir / "phase1-bot.log")
        try:
            await bot.start()
            await started_polling(phase, bot)
            async with running(phase):
                phase.policy.enabled = True

                async def killer() -> None:
                    first = int(phase.budget * rng.uniform(0.2, 0.4))
                    await until(
                        lambda: len(phase.tally.updates) >= first or not phase.more(), 3600, "kill 1", 0.1
                    )
                    if not phase.more():
                        return
                    await restart_after_kill(phase, bot, kills, "at a random moment")
                    second = int(phase.budget * rng.uniform(0.55, 0.7))
                    await until(
                        lambda: len(phase.tally.updates) >= second or not phase.more(), 3600, "kill 2", 0.1
                    )
                    if not phase.more():
                        return
                    why = "just after a Submit press"
                    try:
                        await asyncio.wait_for(phase.submitted.wait(), 30)
                        await asyncio.sleep(rng.uniform(0.0, 0.3))
                    except TimeoutError:
                        why = "(no Submit press came within 30 s)"
                    await restart_after_kill(phase, bot, kills, why)

                killing = asyncio.create_task(killer())
                await asyncio.gather(*(p.run() for p in phase.people))
                phase.ended = True
                await killing
                figures.notes.append(await settle(phase))
                received = sum(1 for uid in phase.tally.updates if uid < phase.recorder.confirmed_below)
        finally:
            await bot.stop()
        figures.notes += kills
        first_up = phase.clock.intervals[0][0]
        figures.notes.append(
            f"bot down {phase.clock.downtime(first_up):.1f} s after it first started; log: {bot.log}"
        )
        count(phase, await stored_complaints(data.url), received, figures)
    keep_items(figures, workdir / "phase1-items.txt")
    return figures


def keep_items(figures: Figures, path: Path) -> None:
    path.write_text("".join(f"{item}\n" for item in figures.items))
    figures.notes.append(f"every item with its timeline: {path}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def healthy(port: int) -> bool:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as client,
            client.get(f"http://127.0.0.1:{port}/healthz") as answer,
        ):
            return answer.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def webhook_phase(args: argparse.Namespace, data: Data, texts: Texts, workdir: Path) -> Figures:
    rng = random.Random(args.seed + 1)
    token = f"{rng.randrange(7_300_000, 7_399_999)}:PORTCRM-campaign"  # its own Redis keys
    figures = Figures("phase 2: two webhook instances, PostgreSQL + Redis")
    kills: list[str] = []
    instances: list[BotProcess] = []
    sandbox = new_sandbox()
    delivery = ConcurrentDelivery.install(sandbox)
    phase = Phase("webhook", sandbox, token, texts, args)  # installs the faults before the sandbox starts
    async with sandbox:
        setup_world(phase, data, args.seed + 1)
        ports = [free_port(), free_port()]
        proxy = RoundRobinProxy(ports)
        url = await proxy.start()
        env = bot_env(token, data.url, sandbox, args.redis_url)
        # the overall pace is each process's own: each instance gets its share (docs/operations.md)
        env["PORTCRM_TELEGRAM_RATE"] = f"{OVERALL_PER_SECOND / len(ports):g}"
        try:
            for n, port in enumerate(ports):
                instances.append(
                    BotProcess(
                        f"instance {n + 1}",
                        env,
                        workdir / f"phase2-instance{n + 1}.log",
                        ["--webhook", url, "--listen", f"127.0.0.1:{port}"],
                    )
                )
            for instance in instances:
                await instance.start()
            for instance, port in zip(instances, ports, strict=True):
                deadline = time.monotonic() + 180
                while not await healthy(port):
                    if not instance.alive or time.monotonic() > deadline:
                        raise RuntimeError(f"{instance.name} did not start; see {instance.log}")
                    await asyncio.sleep(0.2)
            await until(lambda: phase.bot.webhook is not None, 60, "the webhook set")
            phase.clock.up()
            async with running(phase):
                phase.policy.enabled = True

                async def killer() -> None:
                    at = int(phase.budget * rng.uniform(0.35, 0.6))
                    await until(
                        lambda: len(phase.tally.updates) >= at or not phase.more(), 3600, "the kill", 0.1
                    )
                    if not phase.more():
                        return
                    why = "just after a Submit press"
                    try:
                        await asyncio.wait_for(phase.submitted.wait(), 30)
                        await asyncio.sleep(rng.uniform(0.0, 0.3))
                    except TimeoutError:
                        why = "(no Submit press came within 30 s)"
                    victim = rng.choice(instances)
                    phase.kills.append(time.monotonic())
                    await victim.kill9()
                    kills.append(
                        f"{victim.name} killed with SIGKILL {why} after {len(phase.tally.updates)} updates; "
                        "not restarted"
                    )

                killing = asyncio.create_task(killer())
                await asyncio.gather(*(p.run() for p in phase.people))
                phase.ended = True
                await killing
                figures.notes.append(await settle(phase))
                received = sum(1 for uid in phase.tally.updates if uid in delivery.delivered)
        finally:
            for instance in instances:
                await instance.stop()
            await proxy.stop()
        figures.notes += kills
        redelivered = sum(1 for uid in phase.tally.updates if delivery.attempts[uid] > 1)
        reached_twice = sum(1 for uid in phase.tally.updates if proxy.reached[uid] > 1)
        figures.notes.append(
            f"proxy: 2xx answers by instance {dict(proxy.served)}, 502 for an instance down or lost "
            f"mid-request {dict(proxy.failed)}; {redelivered} updates delivered more than once, "
            f"{reached_twice} of them reaching an instance more than once"
        )
        figures.notes += [f"logs: {i.log}" for i in instances]
        count(phase, await stored_complaints(data.url), received, figures)
    keep_items(figures, workdir / "phase2-items.txt")
    await _forget_redis(args.redis_url, token)
    return figures


async def _forget_redis(redis_url: str, token: str) -> None:
    """The phase's conversation states and locks (keys naming the bot's id)."""
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        bot_id = token.split(":")[0]
        keys = [key async for key in client.scan_iter(match=f"*{bot_id}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


# --- main ---------------------------------------------------------------------------------------------


def print_figures(all_figures: Sequence[Figures]) -> None:
    for figures in all_figures:
        rows = [[name, value, zero] for name, value, zero in figures.rows]
        print_table(figures.phase, rows, ["figure", "value", ""])
        for note in figures.notes:
            print(f"- {note}")
        for detail in figures.details:
            print(f"  · {detail}")


async def campaign(args: argparse.Namespace) -> list[Figures]:
    texts = Texts.load()
    workdir = Path(tempfile.mkdtemp(prefix="portcrm-campaign-"))
    print(f"bot logs in {workdir}")
    results: list[Figures] = []
    if args.database_url:
        async with pg_database(args.database_url) as url:
            data = await postgres_data(url, args.users)
            print(f"phase 1 data ready: {len(data.personas)} users on PostgreSQL")
            results.append(await polling_phase(args, data, texts, workdir))
    else:
        data = await sqlite_data(workdir, args.users)
        print(f"phase 1 data ready: {len(data.personas)} users on SQLite")
        results.append(await polling_phase(args, data, texts, workdir))
    print_figures(results[-1:])
    if args.database_url and args.redis_url and not args.skip_webhook:
        async with pg_database(args.database_url) as url:
            data = await postgres_data(url, args.users)
            print(f"\nphase 2 data ready: {len(data.personas)} users on PostgreSQL, Redis {args.redis_url}")
            results.append(await webhook_phase(args, data, texts, workdir))
        print_figures(results[-1:])
    else:
        print(
            "\nphase 2 (two webhook instances) skipped: it needs PostgreSQL and Redis "
            "(--database-url and --redis-url), the configuration the product supports for several instances"
        )
    return results


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    quick = "--quick" in (sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~300 updates a phase")
    parser.add_argument("--updates", type=int, default=300 if quick else 2_000, help="updates a phase")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=300 if quick else 900, help="seconds a phase")
    parser.add_argument("--database-url", help="a PostgreSQL server (scratch databases are made on it)")
    parser.add_argument("--redis-url", help="Redis for phase 2, e.g. redis://127.0.0.1:6379/14")
    parser.add_argument("--skip-webhook", action="store_true", help="phase 1 only")
    parser.add_argument("--seed", type=int, default=15)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    began = dt.datetime.now().astimezone()
    print(f"Fault campaign · {machine()} · {began:%Y-%m-%d %H:%M %Z}")
    print(
        f"{args.users} users, {args.updates:,} updates a phase, faults on sending methods: 10 % 429 "
        "(retry_after 1-3 s), 10 % 5xx (500 / 502 HTML), 10 % dropped connections; flood limits on; "
        f"seed {args.seed}"
    )
    try:
        results = asyncio.run(campaign(args))
    except KeyboardInterrupt:
        print("\ninterrupted")
        return 130
    finally:
        for pid in list(_CHILDREN):  # whatever happened, no bot is left running
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    took = dt.datetime.now().astimezone() - began
    failed = [f"{f.phase}: {name}" for f in results for name in f.failed]
    verdict = "NOT zero: " + "; ".join(failed) if failed else "all must-be-zero figures are zero"
    print(f"\nran {took.total_seconds() / 60:.1f} min; {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
