"""Waiting for the bot: replies after a point in time, callback answers, quiet periods.

Waits are driven by the store's change signal, not by polling, and fail with a message that
shows what the bot did instead (the usual cause is a call the sandbox refused).
"""

from __future__ import annotations

import time
from typing import Any

from .models import CallbackAnswer, Mark, SentMessage
from .state import SandboxState

Marker = Mark | SentMessage | dict[str, Any] | int | None


def resolve_mark(state: SandboxState, after: Mark | SentMessage | dict[str, Any] | None) -> int:
    """Activity-log position for a marker: now, a mark, an injected update, or a message's last change."""
    if after is None:
        return state.seq()
    if isinstance(after, Mark):
        return after.seq
    if isinstance(after, SentMessage):
        key = (after.token, after.chat_id, after.message_id)
        for activity in reversed(state.activity):
            if (activity.token, activity.chat_id, activity.message_id) == key:
                return activity.seq
        raise ValueError(f"message {after.message_id} is not a message the bot sent")
    update_id = after.get("update_id") if isinstance(after, dict) else None
    if update_id not in state.update_marks:
        raise ValueError(f"{after!r} is not an update injected into this sandbox")
    return state.update_marks[update_id]


def changes_after(state: SandboxState, chat_id: int, start: int, token: str | None) -> list[SentMessage]:
    """Bot messages sent or edited in a chat after an activity position, current state, in order."""
    found: dict[tuple[str, int], SentMessage] = {}
    for activity in state.activity[start:]:
        if activity.chat_id != chat_id or activity.action == "delete" or token not in (None, activity.token):
            continue
        message = state.bots[activity.token].chat(chat_id).bot_messages.get(activity.message_id)
        if message is not None:
            found.setdefault((activity.token, activity.message_id), message)
    return list(found.values())


async def wait_for_reply(
    state: SandboxState, chat_id: int, after: Marker, seconds: float, token: str | None
) -> SentMessage:
    """First bot message sent or edited in the chat after ``after`` (an int: the n-th message)."""
    if isinstance(after, int):
        count = after

        def check() -> SentMessage | None:
            messages = [
                m
                for bot in state.bots.values()
                if token in (None, bot.bot.token)
                for m in bot.chat(chat_id).bot_messages.values()
            ]
            messages.sort(key=lambda m: _sent_seq(state, m))
            return messages[count] if len(messages) > count else None
    else:
        start = resolve_mark(state, after)

        def check() -> SentMessage | None:
            changes = changes_after(state, chat_id, start, token)
            return changes[0] if changes else None

    result = await state.changed.wait_until(check, seconds)
    if result is None:
        raise TimeoutError(f"no reply in chat {chat_id} within {seconds}s; {explain(state, token)}")
    return result


def _sent_seq(state: SandboxState, message: SentMessage) -> int:
    for activity in state.activity:
        if (activity.token, activity.chat_id, activity.message_id) == (
            message.token,
            message.chat_id,
            message.message_id,
        ):
            return activity.seq
    return 0


async def wait_for_answer(state: SandboxState, query_id: str, seconds: float) -> CallbackAnswer:
    def check() -> CallbackAnswer | None:
        return next((a for a in state.callback_answers if a.query_id == query_id), None)

    answer = await state.changed.wait_until(check, seconds)
    if answer is None:
        raise TimeoutError(
            f"callback query {query_id} not answered within {seconds}s; {explain(state, None)}"
        )
    return answer


async def wait_idle(state: SandboxState, quiet: float, seconds: float) -> None:
    """Until every queued update was fetched and no Bot API call ran for ``quiet`` seconds."""
    deadline = time.monotonic() + seconds
    while True:
        undelivered = [
            bot.bot.username
            for bot in state.bots.values()
            if any(update["update_id"] > bot.delivered_up_to for update in bot.pending())
        ]
        idle_for = time.monotonic() - state.last_call_time
        if not undelivered and state.calls_in_flight == 0 and idle_for >= quiet:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            reason = (
                f"updates not fetched by {undelivered} (is the bot polling?)" if undelivered else "bot busy"
            )
            raise TimeoutError(f"sandbox not idle after {seconds}s: {reason}; {explain(state, None)}")
        pause = remaining if undelivered else max(quiet - idle_for, 0.005)
        await state.changed.wait(min(pause, remaining))


async def wait_for_news(state: SandboxState, after: int, answers: int, seconds: float) -> bool:
    """Until the bot changed a message after activity position ``after`` or answered a callback query beyond
    the first ``answers``; False if ``seconds`` pass first."""

    def check() -> bool | None:
        return True if state.seq() > after or len(state.callback_answers) > answers else None

    return await state.changed.wait_until(check, seconds) is not None


def explain(state: SandboxState, token: str | None, last: int = 5) -> str:
    """The last few calls (refusals first), to say why an expected reply did not come."""
    calls = [c for c in state.calls if token in (None, c.token) and c.method.lower() != "getupdates"]
    rejected = [c for c in calls if c.rejected]
    if rejected:
        return "refused calls: " + "; ".join(f"{c.method} -> {c.status} {c.error}" for c in rejected[-last:])
    if not calls:
        return "the bot made no calls (is it polling this sandbox?)"
    return "last calls: " + "; ".join(f"{c.method} -> {c.status}" for c in calls[-last:])
