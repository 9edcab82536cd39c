"""An interchange file read into its header and messages with pydifact, every segment with its place.

pydifact (alpha, 0.2.x) stops at the first bad segment and keeps no positions, so the text is cut into
segments here (honouring the UNA characters and the release character, which is all that takes) and each is
handed to pydifact's parser alone: a bad segment then breaks only its own message, and every segment knows
its line and column. pydifact reads the UNA, the elements (an element is a `str`, or a `list` when it has
components: `Seg` normalises) and the UNB into an `Interchange` (sender, control reference, date).

Structure checked here: a UNH closed by its UNT with the right count and reference (else the message is
broken), and a UNZ with the UNB's reference and the number of messages (else the file is quarantined, though
its complete messages still go through).
"""

from __future__ import annotations

import datetime as dt
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from portcrm.errors import N_
from portcrm.feeds.edifact.problems import Broken, Place, Problem, Unreadable
from portcrm.feeds.edifact.text import RawSegment, decode, split_segments

if TYPE_CHECKING:
    from pydifact import Characters
    from pydifact.segments import Segment as PydifactSegment

_ONE_AT_A_TIME = threading.Lock()


@dataclass(frozen=True, slots=True)
class Seg:
    """One segment of a message: its elements as pydifact read them, and its place."""

    tag: str
    elements: tuple[str | list[str], ...]
    number: int  # in its message, UNH being 1
    line: int
    column: int

    def get(self, index: int, component: int = 0) -> str:
        """A component of an element ("" when absent): a plain element is its own first component."""
        if index >= len(self.elements):
            return ""
        value = self.elements[index]
        if isinstance(value, str):
            return value if component == 0 else ""
        return value[component] if component < len(value) else ""


@dataclass(slots=True)
class Message:
    reference: str
    type: str
    version: str  # e.g. "D:95B:UN:ITG12"
    segments: list[Seg] = field(default_factory=list)
    broken: Problem | None = None  # the first fault found in its syntax or structure

    def place(self, seg: Seg | None = None) -> Place:
        if seg is None:
            return Place(self.reference, self.type)
        return Place(self.reference, self.type, seg.tag, seg.number, seg.line, seg.column)


@dataclass(slots=True)
class Interchange:
    sender: str
    recipient: str
    control_reference: str
    prepared_at: dt.datetime  # naive, as written in UNB (the sender's local time)
    messages: list[Message] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # outside any message: UNZ, stray segments


def read_interchange(data: bytes) -> Interchange:
    """Read a whole file; raises Unreadable when it is not an interchange at all."""
    from pydifact.exceptions import MissingImplementationWarning

    text = decode(data)
    # pydifact's wheel has no service-segment directory: reading a UNB warns about it (see platform facts).
    # The filter is the process's, so parses take turns (they run in worker threads, see ingest.py).
    with _ONE_AT_A_TIME, warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=MissingImplementationWarning)
        characters, raw = split_segments(text)
        return _Reader(characters).read(raw)


class _Reader:
    def __init__(self, characters: Characters) -> None:
        from pydifact import Parser
        from pydifact.segments import SegmentFactory

        class Unvalidated(SegmentFactory):
            """pydifact validates each segment against directories its wheel does not ship (so it only warns,
            at a quarter of the parse time): the checks that matter are ours."""

            @staticmethod
            def create_segment(name: str, *elements: str | list[str], **options: Any) -> PydifactSegment:
                return SegmentFactory.create_segment(name, *elements, **{**options, "validate": False})

        self.characters = characters
        self.parser = Parser(factory=Unvalidated(), characters=characters)

    def segment(self, raw: RawSegment) -> PydifactSegment:
        """pydifact's reading of one segment; Broken when it cannot be read."""
        from pydifact.exceptions import EDISyntaxError

        if raw.unterminated:
            raise Broken(N_("the segment is not terminated: the file may be cut short"))
        if self.characters.data_separator not in raw.text:
            raise Broken(N_("the segment has no data elements"))
        try:
            (segment,) = self.parser.parse(raw.text + self.characters.segment_terminator)
        except (EDISyntaxError, ValueError) as error:  # ValueError: a tag that is not 3 capitals
            raise Broken(N_("the segment cannot be read: {detail}"), detail=str(error)) from None
        return segment

    def parse(self, raw: RawSegment, number: int) -> Seg:
        segment = self.segment(raw)
        return Seg(segment.tag, tuple(segment.elements), number, raw.line, raw.column)

    def read(self, raw: list[RawSegment]) -> Interchange:
        if not raw or raw[0].tag != "UNB":
            raise Unreadable(N_("the file does not begin with UNA or UNB: it is not an EDIFACT interchange"))
        interchange = self.header(raw[0])
        interchange.problems.extend(self.body(interchange, iter(raw[1:])))
        return interchange

    def header(self, raw: RawSegment) -> Interchange:
        from pydifact.exceptions import EDISyntaxError
        from pydifact.segmentcollection import Interchange as PydifactInterchange

        place = Place(tag="UNB", line=raw.line, column=raw.column)
        try:
            unb = self.segment(raw)
            if len(unb.elements) < 5 or not unb.elements[4]:
                raise Unreadable(N_("the UNB control reference is missing or over 14 characters"), place)
            parsed = PydifactInterchange.from_segments([unb], characters=self.characters)
        except Broken as error:
            raise Unreadable(error.problem.message, place, **error.problem.params) from None
        except (EDISyntaxError, ValueError, IndexError, TypeError) as error:
            raise Unreadable(
                N_("the UNB header cannot be read: {detail}"), place, detail=str(error)
            ) from None
        sender, recipient = _first(parsed.sender), _first(parsed.recipient)
        reference = _first(parsed.control_reference)
        if not sender or len(sender) > 35:
            raise Unreadable(N_("the UNB header names no sender (or one over 35 characters)"), place)
        if not reference or len(reference) > 14:
            raise Unreadable(N_("the UNB control reference is missing or over 14 characters"), place)
        return Interchange(sender, recipient, reference, parsed.timestamp)

    def body(self, interchange: Interchange, segments: Iterator[RawSegment]) -> Iterator[Problem]:
        message: Message | None = None
        groups = 0
        for raw in segments:
            if raw.tag == "UNH":
                if message is not None:
                    _break(message, N_("UNT is missing: the message runs into the next UNH"), raw)
                    interchange.messages.append(message)
                message = self.open(raw)
            elif raw.tag == "UNZ":
                if message is not None:
                    _break(message, N_("UNT is missing: the interchange ends inside the message"), raw)
                    interchange.messages.append(message)
                yield from self.trailer(interchange, raw, groups)
                rest = next(segments, None)
                if rest is not None:
                    yield Problem(N_("data after UNZ"), place=_place(rest))
                return
            elif message is not None:
                self.add(message, raw)
                if raw.tag == "UNT":
                    interchange.messages.append(message)
                    message = None
            elif raw.tag in ("UNG", "UNE"):  # functional groups: allowed, and nothing in them to take
                groups += raw.tag == "UNG"
            else:
                yield Problem(N_("segment outside any message"), place=_place(raw))
        if message is not None:
            _break(message, N_("UNT is missing: the file ends inside the message"))
            interchange.messages.append(message)
        yield Problem(N_("UNZ is missing: the file may be cut short"), place=Place(tag="UNZ"))

    def open(self, raw: RawSegment) -> Message:
        try:
            unh = self.parse(raw, 1)
        except Broken as error:
            message = Message("", "", "")
            _break(message, error.problem.message, raw, 1, **error.problem.params)
            return message
        version = ":".join(unh.get(1, i) for i in range(1, 5)).rstrip(":")
        message = Message(unh.get(0), unh.get(1).upper(), version, [unh])
        if not message.reference or not message.type:
            _break(message, N_("UNH names no message reference or type"), raw, 1)
        return message

    def add(self, message: Message, raw: RawSegment) -> None:
        number = len(message.segments) + 1
        try:
            seg = self.parse(raw, number)
        except Broken as error:
            _break(message, error.problem.message, raw, number, **error.problem.params)
            seg = Seg(raw.tag, (), number, raw.line, raw.column)
        message.segments.append(seg)
        if seg.tag != "UNT" or message.broken is not None:
            return
        counted = seg.get(0)
        if not counted.isdigit() or int(counted) != number:
            _break(
                message,
                N_("UNT counts {counted} segments, the message has {actual}"),
                raw,
                number,
                counted=counted or "?",
                actual=str(number),
            )
        elif seg.get(1) != message.reference:
            _break(
                message,
                N_("UNT closes message {closed}, not {opened}"),
                raw,
                number,
                closed=seg.get(1) or "?",
                opened=message.reference,
            )

    def trailer(self, interchange: Interchange, raw: RawSegment, groups: int) -> Iterator[Problem]:
        try:
            unz = self.parse(raw, 0)
        except Broken as error:
            yield error.problem.at(_place(raw))
            return
        counted, expected = unz.get(0), groups or len(interchange.messages)  # groups are counted, if any
        if not counted.isdigit() or int(counted) != expected:
            yield Problem(
                N_("UNZ counts {counted} messages, the interchange has {actual}"),
                {"counted": counted or "?", "actual": expected},
                _place(raw),
            )
        if unz.get(1) != interchange.control_reference:
            yield Problem(
                N_("UNZ closes interchange {closed}, not {opened}"),
                {"closed": unz.get(1) or "?", "opened": interchange.control_reference},
                _place(raw),
            )


def _first(value: str | list[str] | None) -> str:
    if isinstance(value, list):
        return value[0] if value else ""
    return value or ""


def _place(raw: RawSegment) -> Place:
    return Place(tag=raw.tag, line=raw.line, column=raw.column)


def _break(
    message: Message, text: str, raw: RawSegment | None = None, number: int | None = None, **params: str
) -> None:
    """Record the message's first fault (later ones are usually its consequences)."""
    if message.broken is None:
        place = Place(message.reference, message.type)
        if raw is not None:
            place = Place(message.reference, message.type, raw.tag, number, raw.line, raw.column)
        message.broken = Problem(text, params, place)
