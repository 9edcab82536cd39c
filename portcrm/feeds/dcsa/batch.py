"""A posted body read event by event: the good ones translated, each bad one named with its field.

A bad event must not cost the good ones of its batch: the publisher resends a refused batch whole, and
the good events then count as repeats. So the body is refused as a whole only when it is not a JSON array
at all (`MalformedBody`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from portcrm.feeds.dcsa.mapping import FieldProblem, Unused, to_feed_event
from portcrm.feeds.dcsa.models import EVENT
from portcrm.services.tracking.feed_events import FeedEvent


class MalformedBody(ValueError):
    """The body is not a JSON array; the text says what it is instead."""


@dataclass(frozen=True, slots=True)
class EventProblem:
    """One field of one event that does not match the schema, by the event's place in the array and id."""

    index: int
    event_id: str | None
    field: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "eventID": self.event_id, "field": self.field, "message": self.message}


@dataclass(frozen=True, slots=True)
class Received:
    """A valid event that writes nothing, and why."""

    index: int
    event_id: str
    reason: str


@dataclass(slots=True)
class Batch:
    events: list[FeedEvent] = field(default_factory=list)
    unused: list[Received] = field(default_factory=list)
    problems: list[EventProblem] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.events) + len(self.unused) + len({p.index for p in self.problems})


def read_batch(body: bytes, source: str) -> Batch:
    """Every event of the body checked and translated; raises `MalformedBody`."""
    try:
        items = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedBody("the body is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise MalformedBody(f"the body is not JSON: {error}") from None
    if not isinstance(items, list):
        raise MalformedBody(f"the body must be a JSON array of events, not a JSON {_kind(items)}")
    batch = Batch()
    for index, item in enumerate(items):
        _read_one(batch, index, item, source)
    return batch


def _read_one(batch: Batch, index: int, item: Any, source: str) -> None:
    if not isinstance(item, dict):
        message = f"an event must be a JSON object, not {_kind(item)}"
        batch.problems.append(EventProblem(index, None, "", message))
        return
    raw_id = item.get("eventID")
    event_id = raw_id if isinstance(raw_id, str) else None
    try:
        event = EVENT.validate_python(item)
    except ValidationError as error:
        for problem in error.errors():
            batch.problems.append(EventProblem(index, event_id, _field(problem["loc"]), problem["msg"]))
        return
    try:
        batch.events.append(to_feed_event(event, source))
    except FieldProblem as problem:
        batch.problems.append(EventProblem(index, event_id, problem.field, str(problem)))
    except Unused as unused:
        batch.unused.append(Received(index, event.eventID, str(unused)))


def _field(loc: tuple[int | str, ...]) -> str:
    """The dotted path of the field as the publisher wrote it; the union's tag (first) is not a field."""
    if not loc:
        return "eventType"  # no tag, or one that is no event kind
    path = loc[1:] if loc[0] in ("TRANSPORT", "EQUIPMENT", "SHIPMENT") else loc
    return ".".join(f"[{part}]" if isinstance(part, int) else str(part) for part in path).replace(".[", "[")


def _kind(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")
