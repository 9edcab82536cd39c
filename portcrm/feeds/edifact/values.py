"""The elements PortCRM reads, each checked: a value that is present must be valid, or its message is broken.

Dates are in the port's local time (EDIFACT's formats 102/203/204 carry no zone); an event takes the surest
time among the DTMs that apply to it (an actual over an estimate), by the qualifier table of `codes.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from portcrm.enums import TimeClassifier
from portcrm.errors import N_, InvalidInput
from portcrm.feeds.edifact.problems import Broken, Place, Problem
from portcrm.feeds.edifact.reader import Seg
from portcrm.identifiers import normalise_container, normalise_imo, normalise_reference

_FORMATS = {"101": "%y%m%d", "102": "%Y%m%d", "201": "%y%m%d%H%M", "203": "%Y%m%d%H%M", "204": "%Y%m%d%H%M%S"}
_BY_LENGTH = {8: "102", 12: "203", 14: "204"}  # when the format code is left out
_SURENESS = (TimeClassifier.ACTUAL, TimeClassifier.ESTIMATED, TimeClassifier.PLANNED)
REFERENCE_QUALIFIERS = frozenset({"BM", "BN"})  # bill of lading, booking
EMPTY, FULL = "4", frozenset({"1", "2", "3", "5", "6", "7", "8"})  # 8169: only 4 is empty


def place(seg: Seg) -> Place:
    return Place(tag=seg.tag, segment=seg.number, line=seg.line, column=seg.column)


def broken(seg: Seg, message: str, **params: object) -> Broken:
    return Broken(message, place(seg), **params)


def first(segments: Iterable[Seg], tag: str, qualifiers: Sequence[str] = ()) -> Seg | None:
    for seg in segments:
        if seg.tag == tag and (not qualifiers or seg.get(0) in qualifiers):
            return seg
    return None


def date_of(dtm: Seg, tz: ZoneInfo) -> dt.datetime:
    value, code = dtm.get(0, 1), dtm.get(0, 2)
    code = code or _BY_LENGTH.get(len(value), "")
    if code not in _FORMATS:
        raise broken(
            dtm, N_("date format {format} is not one PortCRM reads (102, 203, 204)"), format=code or "?"
        )
    try:
        return dt.datetime.strptime(value, _FORMATS[code]).replace(tzinfo=tz)
    except ValueError:
        raise broken(dtm, N_("invalid date {value} (format {format})"), value=value, format=code) from None


@dataclass(frozen=True, slots=True)
class When:
    at: dt.datetime
    classifier: TimeClassifier
    seg: Seg


def surest_time(segments: Iterable[Seg], table: Mapping[str, TimeClassifier], tz: ZoneInfo) -> When | None:
    """The surest of the times the DTMs give (an actual over an estimate over a plan), the first on a tie."""
    found: list[When] = []
    for seg in segments:
        if seg.tag == "DTM" and seg.get(0) in table:
            found.append(When(date_of(seg, tz), table[seg.get(0)], seg))
    if not found:
        return None
    return min(found, key=lambda when: _SURENESS.index(when.classifier))


def container_of(eqd: Seg) -> str:
    raw = eqd.get(1)
    if not raw:
        raise broken(eqd, N_("the EQD names no container number"))
    try:
        return normalise_container(raw)
    except InvalidInput:
        raise broken(eqd, N_("invalid container number {value} (ISO 6346 check digit)"), value=raw) from None


def empty_of(eqd: Seg, *, required: bool) -> bool | None:
    code = eqd.get(5)
    if not code:
        if required:
            raise broken(
                eqd, N_("the EQD has no full/empty indicator (8169), which tells a gate move's kind")
            )
        return None
    if code != EMPTY and code not in FULL:
        raise broken(eqd, N_("unknown full/empty indicator {code} (4 is empty, 5 full)"), code=code)
    return code == EMPTY


def references_in(segments: Iterable[Seg]) -> tuple[str, ...]:
    """B/L and booking numbers of the RFFs, normalised."""
    found = []
    for seg in segments:
        if seg.tag == "RFF" and seg.get(0) in REFERENCE_QUALIFIERS:
            found.append(reference(seg, seg.get(0, 1)))
    return tuple(dict.fromkeys(found))


def reference(seg: Seg, raw: str) -> str:
    try:
        return normalise_reference(raw)
    except InvalidInput:
        raise broken(seg, N_("invalid B/L or booking number {value}"), value=raw) from None


@dataclass(frozen=True, slots=True)
class Vessel:
    imo: str | None
    voyage: str | None
    note: Problem | None = None  # an IMO number failing its check digit: kept, and said


def vessel_of(segments: Iterable[Seg]) -> Vessel | None:
    """The main carriage (TDT stage 20): voyage, and the IMO number when the identification is one."""
    tdt = first(segments, "TDT", ("20",))
    if tdt is None:
        return None
    voyage = tdt.get(1) or None
    ident = tdt.get(7).upper().removeprefix("IMO").strip()
    if not (len(ident) == 7 and ident.isdigit()):  # a call sign or a carrier's own code
        return Vessel(None, voyage)
    digits, valid = normalise_imo(ident)
    note = (
        None
        if valid
        else Problem(N_("IMO number {value} fails its check digit; kept"), {"value": digits}, place(tdt))
    )
    return Vessel(digits, voyage, note)


def location_of(segments: Iterable[Seg], qualifiers: Sequence[str]) -> str | None:
    """UN/LOCODE and facility of the first LOC with one of the qualifiers, in their order of preference."""
    segments = list(segments)
    for qualifier in qualifiers:
        loc = first(segments, "LOC", (qualifier,))
        if loc is not None and loc.get(1):
            return f"{loc.get(1)} {loc.get(2)}".strip()
    return None
