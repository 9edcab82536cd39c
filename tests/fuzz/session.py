"""One fuzz session: the real bot over a seeded world, the driver, and every oracle checked at the end."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fuzz.driver import Driver, Sent, Tracker
from tests.fuzz.oracles import ErrorLog, language_findings, leak_findings, seen_by
from tests.fuzz.world import seed_world
from tests.harness import TOKEN, running_bot

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64


def generate(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """`count` examples of a strategy, the same on every run (no database, derandomized, no shrinking)."""
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(example: Any) -> None:
        drawn.append(example)

    collect()
    return drawn


@contextlib.asynccontextmanager
async def fuzz_session(
    database_url: str, *, throttled: bool = False, **bot_settings: Any
) -> AsyncIterator[Driver]:
    """Yields a driver; on exit waits for the bot to settle and fails with every finding of every oracle.

    `throttled`: the bot's flood control is on, so updates may be set aside: silence is allowed then.
    """
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    try:
        async with running_bot(database_url, **bot_settings) as app:
            async with app.db.session() as session:
                world = await seed_world(session)
            tracker = Tracker(app)
            tracker.install(app.dispatcher)  # middlewares are read per update, so this applies from now on
            driver = Driver(app, world, tracker, throttled=throttled)
            yield driver
            await app.settled(timeout=120)
            findings = errors.findings() + check(driver)
            print(f"\nfuzz: {len(driver.sent)} updates sent: {dict(driver.counts)}")
            assert not findings, f"{len(findings)} findings, first 30:\n" + "\n".join(findings[:30])
    finally:
        logging.getLogger().removeHandler(errors)


def check(driver: Driver) -> list[str]:
    sandbox, tracker = driver.app.sandbox, driver.tracker
    findings: list[str] = []
    answered = {a.query_id for a in sandbox.callback_answers}
    queries: dict[str, list[str]] = {}
    for sent in driver.sent:
        if "callback_query" in sent.update:
            query_id = sent.update["callback_query"]["id"]
            queries.setdefault(sent.actor.key, []).append(query_id)
            if query_id not in answered and not driver.throttled:
                findings.append(
                    f"{sent.actor.key}: {sent.kind} {sent.update['callback_query']['data']!r} not answered"
                )
        if sent.update_id not in tracker.starts and not driver.throttled:
            findings.append(f"{sent.actor.key}: {sent.kind} update {sent.update_id} never handled")
    if not driver.throttled:
        findings += _silences(driver)
    for key, user in driver.users.items():
        actor = driver.world.actors[key]
        seen = seen_by(sandbox, actor, queries.get(key, []))
        findings += leak_findings(driver.world, actor, "\n".join(driver.typed[key]), seen)
        if key not in driver.switched_language:
            findings += [
                f"{key} {s.where}: {f}: {s.text[:120]!r}"
                for s in seen
                for f in language_findings(actor.locale, s)
            ]
        for message in sandbox.messages(user) + sandbox.messages(user, deleted=True):
            for version in (*message.history, message):
                if len(version.text or "") > MAX_TEXT:
                    findings.append(
                        f"{key}: message {version.message_id} is {len(version.text or '')} characters"
                    )
                findings += [
                    f"{key}: callback data {data!r} over 64 bytes"
                    for row in version.buttons
                    for _, data in row
                    if data and len(data.encode()) > MAX_CALLBACK_DATA
                ]
    return findings


def _silences(driver: Driver) -> list[str]:
    """Every message gets a reply: a bot message in its chat between its start and the next of its chat's."""
    activity, starts = driver.app.sandbox.state.activity, driver.tracker.starts
    findings = []
    by_chat: dict[int, list[Sent]] = {}
    position = {update_id: n for n, update_id in enumerate(driver.tracker.order)}
    for sent in driver.sent:
        if sent.update_id in position:
            by_chat.setdefault(sent.actor.user_id, []).append(sent)
    for chat, items in by_chat.items():
        items.sort(key=lambda s: position[s.update_id])
        for sent, following in zip(items, [*items[1:], None], strict=True):
            end = starts[following.update_id] if following else len(activity)
            if "message" not in sent.update or sent.update_id in driver.tracker.raised:
                continue  # a raising handler's reply is the errors handler's: ErrorLog sees any it lost
            if not any(
                a.chat_id == chat and a.action != "delete" for a in activity[starts[sent.update_id] : end]
            ):
                message = sent.update["message"]
                what = message.get("text", "")[:80] or sorted(
                    set(message) - {"message_id", "from", "chat", "date"}
                )
                before = [a for a in activity[: starts[sent.update_id]] if a.chat_id == chat]
                last = (
                    driver.app.sandbox.state.bots[TOKEN].chat(chat).bot_messages.get(before[-1].message_id)
                    if before
                    else None
                )
                context = (last.text or last.caption or "")[:100] if last else ""
                state = driver.tracker.states.get(sent.update_id)
                findings.append(
                    f"{sent.actor.key}: no reply to {sent.kind} {what!r} in state {state} after {context!r}"
                )
    return findings
