"""What can be wrong with an EDIFACT file, and where: the words of every report, CLI line and log.

A problem is a gettext message id with its parameters (translated where it is shown) and the place it sits:
the message (UNH reference and type), the segment (tag, its number in the message counting UNH as 1) and the
line and column of the file where the segment begins.

- `Unreadable`: nothing in the file can be trusted (not text, no UNB, a UNB that cannot be read); the whole
  file is quarantined and nothing is taken from it.
- `Broken`: one message cannot be taken (a bad segment, a missing mandatory element, a code with no mapping,
  a bad container number or date); that message is left out, the file is quarantined with a report, and the
  file's other messages go through.
- a note: something valid that PortCRM does not use (a status code the partner's mapping lists as ignored,
  a message type it does not read, a cancellation); it is reported, and the file is not quarantined.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Place:
    """Where in the file: any part may be unknown (a message with no UNH has no reference)."""

    message_ref: str = ""
    message_type: str = ""
    tag: str = ""
    segment: int | None = None  # its number in the message, UNH being 1
    line: int | None = None  # of the file, from 1
    column: int | None = None  # from 1


@dataclass(frozen=True, slots=True)
class Problem:
    message: str  # a gettext message id
    params: dict[str, Any] = field(default_factory=dict)
    place: Place = Place()

    def render(self, gettext: Callable[[str], str] = str) -> str:
        """The problem, with its place first, in the caller's language."""
        text = gettext(self.message).format(**self.params)
        where = describe_place(self.place, gettext)
        return f"{where}: {text}" if where else text

    def at(self, place: Place) -> Problem:
        return replace(self, place=place)


def describe_place(place: Place, gettext: Callable[[str], str] = str) -> str:
    parts = []
    if place.message_ref or place.message_type:
        parts.append(
            gettext("message {reference} ({type})").format(
                reference=place.message_ref or "?", type=place.message_type or "?"
            )
        )
    if place.tag:
        if place.segment is not None:
            parts.append(gettext("segment {tag} number {number}").format(tag=place.tag, number=place.segment))
        else:
            parts.append(gettext("segment {tag}").format(tag=place.tag))
    if place.line is not None:
        parts.append(gettext("line {line}, column {column}").format(line=place.line, column=place.column))
    return gettext(", ").join(parts)


class Unreadable(Exception):
    """The file as a whole is not an interchange we can read."""

    def __init__(self, message: str, place: Place = Place(), /, **params: Any) -> None:
        super().__init__(message.format(**params))
        self.problem = Problem(message, params, place)


class Broken(Exception):
    """One message cannot be taken; raised where the fault is found, placed by the caller if need be."""

    def __init__(self, message: str, place: Place = Place(), /, **params: Any) -> None:
        super().__init__(message.format(**params))
        self.problem = Problem(message, params, place)
