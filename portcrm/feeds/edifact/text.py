"""From bytes to segment texts with their lines and columns: the part of reading pydifact does not do.

The character set follows the UNB syntax identifier (UNOA-UNOK: ASCII and ISO 8859; UNOW/UNOY: UTF-8),
though UTF-8 is tried first: terminals in China often send UTF-8 under any identifier, and text in an ISO 8859
set is almost never valid UTF-8. Binary content is refused before anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from portcrm.errors import N_
from portcrm.feeds.edifact.problems import Unreadable

if TYPE_CHECKING:
    from pydifact import Characters

_SYNTAX = re.compile(rb"UNB.(UNO[A-Z])")
_ENCODINGS = {
    "UNOA": "latin-1",  # ASCII subsets; senders put Latin-1 in them all the same
    "UNOB": "latin-1",
    "UNOC": "iso8859-1",
    "UNOD": "iso8859-2",
    "UNOE": "iso8859-5",
    "UNOF": "iso8859-7",
    "UNOG": "iso8859-3",
    "UNOH": "iso8859-4",
    "UNOI": "iso8859-6",
    "UNOJ": "iso8859-8",
    "UNOK": "iso8859-9",
    "UNOW": "utf-8",
    "UNOY": "utf-8",
}
_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 13))
_BLANKS = " \r\n\t"


@dataclass(frozen=True, slots=True)
class RawSegment:
    text: str  # without its terminator, release characters still in
    line: int
    column: int
    unterminated: bool = False

    @property
    def tag(self) -> str:
        return self.text[:3].upper()


def decode(data: bytes) -> str:
    if not data.strip():
        raise Unreadable(N_("the file is empty"))
    head = data[:4096]
    if head.translate(None, _CONTROL) != head:
        raise Unreadable(N_("the file is not EDIFACT text (binary content)"))
    data = data.removeprefix(b"\xef\xbb\xbf")
    found = _SYNTAX.search(data[:300])
    declared = found.group(1).decode() if found else "UNOA"
    for encoding in dict.fromkeys(("utf-8", _ENCODINGS.get(declared, "latin-1"))):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unreadable(
        N_("the file is not text in the character set its UNB names ({syntax})"), syntax=declared
    )


def split_segments(text: str) -> tuple[Characters, list[RawSegment]]:
    """The service characters (UNA, or the defaults) and the segments, each where it begins."""
    from pydifact import Characters

    start = len(text) - len(text.lstrip(_BLANKS))
    characters = Characters()
    if text.startswith("UNA", start):
        characters = Characters.from_str(text[start : start + 9].ljust(9))
        used = characters.component_separator, characters.data_separator, characters.escape_character
        if len({*used, characters.segment_terminator}) < 4:
            raise Unreadable(N_("the UNA service string advice is incomplete or repeats a character"))
        start += 9
    terminator, release = re.escape(characters.segment_terminator), re.escape(characters.escape_character)
    body = re.compile(rf"(?:[^{terminator}{release}]|{release}.)*", re.DOTALL)
    segments: list[RawSegment] = []
    line, line_start, counted = 1, 0, 0
    position, end = start, len(text)
    while True:
        while position < end and text[position] in _BLANKS:
            position += 1
        if position >= end:
            break
        line += text.count("\n", counted, position)
        counted = position
        line_start = text.rfind("\n", 0, position) + 1
        match = body.match(text, position)
        stop = match.end() if match else position
        closed = stop < end and text[stop] == characters.segment_terminator
        piece = text[position:stop] if closed else text[position:].rstrip(_BLANKS)
        segments.append(RawSegment(piece, line, position - line_start + 1, unterminated=not closed))
        if not closed:
            break
        position = stop + 1
    return characters, segments
