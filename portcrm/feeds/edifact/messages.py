"""What every event of a message shares, and the small tools the message readers use.

An event's source is `edi:<UNB sender>` and its id the interchange's control reference, the message's
reference (UNH) and the number of the segment it comes from (its EQD, or its STS when it names no box), so
the same content ingested again is recognised event by event as well as interchange by interchange.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from portcrm.enums import CargoEventType
from portcrm.feeds.edifact.codes import Codes
from portcrm.feeds.edifact.problems import Problem
from portcrm.feeds.edifact.reader import Message, Seg
from portcrm.services.tracking.feed_events import FeedEvent


@dataclass(frozen=True, slots=True)
class Context:
    sender: str
    control_reference: str
    codes: Codes
    tz: ZoneInfo
    prepared_at: dt.datetime  # the UNB's date, in port time: when the sender said so, lacking a DTM 137

    @property
    def source(self) -> str:
        return f"edi:{self.sender}"


@dataclass(slots=True)
class Taken:
    """What one message gave: its events and notes, or the fault that keeps it out."""

    events: list[FeedEvent] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    broken: Problem | None = None


@dataclass(frozen=True, slots=True)
class Header:
    """The message-level facts every event of a message shares."""

    message: Message
    ctx: Context
    bgm: Seg
    reported_at: dt.datetime

    def event_id(self, seg: Seg) -> str:
        return f"{self.ctx.control_reference}/{self.message.reference}/{seg.number}"

    def note(self, taken: Taken, seg: Seg, text: str, **params: object) -> None:
        taken.notes.append(Problem(text, dict(params), self.message.place(seg)))

    def placed(self, problem: Problem) -> Problem:
        """The problem, its place naming this message."""
        return placed_in(self.message, problem)


def placed_in(message: Message, problem: Problem) -> Problem:
    return problem.at(replace(problem.place, message_ref=message.reference, message_type=message.type))


Reader = Callable[[Header, list[Seg], Taken], None]  # adds events and notes to the Taken, or raises Broken


def refined(event_type: CargoEventType, empty: bool | None) -> CargoEventType:
    """A gate move of an empty box: in is its return, out is its pickup."""
    if empty and event_type is CargoEventType.GATE_IN:
        return CargoEventType.EMPTY_RETURNED
    if empty and event_type is CargoEventType.GATE_OUT:
        return CargoEventType.EMPTY_PICKUP
    return event_type


def split(segments: list[Seg], starts: frozenset[str], ends: frozenset[str] = frozenset()) -> list[list[Seg]]:
    """The segments cut before each one whose tag is in `starts`; the first part is what precedes them all.

    A segment in `ends` closes the current part (what follows it belongs to the first part again)."""
    parts: list[list[Seg]] = [[]]
    current = parts[0]
    for seg in segments:
        if seg.tag in starts:
            current = [seg]
            parts.append(current)
        elif seg.tag in ends:
            current = parts[0]
            current.append(seg)
        else:
            current.append(seg)
    return parts
