"""IFTSTA status reports: one event per status and container, by the sending partner's status codes.

Read as the ocean carriers' and port community systems' guides lay it out (D99B, D00B):

    BGM+23+<document>+9'   DTM+137:<issued>:203'   RFF+BN|BM:<reference>' (the whole message)
    CNI+1+<B/L>'                                    a consignment: its document number is a B/L
      STS+1+<status code>'                          a status: the code -> an event type (codes.py)
        RFF+BN|BM:...'  DTM+334|178|186|132|133:...'  LOC+175+<UN/LOCODE>'
        TDT+20+<voyage>+1++...+++<IMO>:146:11:<vessel>'  LOC+9|11+...' DTM+133|132:...'
        EQD+CN+<container>+42G1:102:5+++<full/empty>'   RFF+...'  (one event per EQD)

The status takes the surest time among its own DTMs (those before its TDT and EQD), else among all of its
group's. An estimate is read for a vessel's arrival or departure only (an ETA or ETD); an estimated box move
is skipped with a note. A status naming no container still counts when it names a B/L, a booking or a vessel
call (a customs hold on a B/L, a vessel's arrival). A status code the partner's codes list as ignored is
skipped with a note; a code neither mapped nor ignored breaks the message, so that a hold in a terminal's own
code is never silently dropped.
"""

from __future__ import annotations

from portcrm.enums import CargoEventType, TimeClassifier
from portcrm.errors import N_
from portcrm.feeds.edifact.messages import Header, Taken, refined, split
from portcrm.feeds.edifact.reader import Seg
from portcrm.feeds.edifact.values import (
    Vessel,
    broken,
    container_of,
    empty_of,
    location_of,
    reference,
    references_in,
    surest_time,
    vessel_of,
)
from portcrm.services.tracking.feed_events import FeedEvent

VESSEL_CALL = frozenset({CargoEventType.VESSEL_ARRIVED, CargoEventType.VESSEL_DEPARTED})
_PLACES = ("175", "165", "11", "9", "7", "5")


def read_iftsta(header: Header, body: list[Seg], taken: Taken) -> None:
    top, *parts = split(body, frozenset({"CNI", "STS"}))
    message_refs = references_in(top)
    consignment: tuple[str, ...] = ()
    for part in parts:
        lead = part[0]
        if lead.tag == "CNI":
            consignment = (reference(lead, lead.get(1)),) if lead.get(1) else ()
            consignment += references_in(part)
        else:
            _status(header, top, part, message_refs + consignment, taken)


def _status(header: Header, top: list[Seg], group: list[Seg], refs: tuple[str, ...], taken: Taken) -> None:
    sts = group[0]
    code = sts.get(1)
    if not code:
        raise broken(sts, N_("the STS names no status code"))
    codes = header.ctx.codes
    event_type = codes.statuses.get(code)
    if event_type is None:
        if code in codes.ignored:
            header.note(
                taken, sts, N_("status code {code} is not tracked (listed as ignored); skipped"), code=code
            )
            return
        raise broken(
            sts,
            N_(
                "status code {code} of sender {sender} has no mapping: "
                "add it to the partner's codes, or to their ignore list"
            ),
            code=code,
            sender=header.ctx.sender,
        )
    own_end = next((i for i, s in enumerate(group) if s.tag in ("TDT", "EQD")), len(group))
    own, rest = group[:own_end], group[own_end:]
    transport, *boxes = split(rest, frozenset({"EQD"}))
    when = surest_time(own, codes.times, header.ctx.tz) or surest_time(group, codes.times, header.ctx.tz)
    when = when or surest_time(top, codes.times, header.ctx.tz)
    if when is None:
        raise broken(sts, N_("no date and time for the status (DTM 334, 178, 186, 132 or 133)"))
    if when.classifier is not TimeClassifier.ACTUAL and event_type not in VESSEL_CALL:
        header.note(
            taken,
            sts,
            N_(
                "an estimated time for status {code}: only arrivals and departures are planned ahead; skipped"
            ),
            code=code,
        )
        return
    vessel = vessel_of(transport) or vessel_of(top) or Vessel(None, None)
    if vessel.note is not None:
        taken.notes.append(header.placed(vessel.note))
    refs = tuple(dict.fromkeys(refs + references_in(own) + references_in(transport)))
    location = location_of(own, _PLACES) or location_of(transport, _PLACES)

    def event(
        seg: Seg, container: str = "", empty: bool | None = None, more: tuple[str, ...] = ()
    ) -> FeedEvent:
        return FeedEvent(
            source=header.ctx.source,
            event_id=header.event_id(seg),
            event_type=refined(event_type, empty),
            occurred_at=when.at,
            reported_at=header.reported_at,
            classifier=when.classifier,
            container_number=container,
            empty=empty,
            references=tuple(dict.fromkeys(refs + more)),
            vessel_imo=vessel.imo,
            voyage=vessel.voyage,
            location=location,
        )

    if not boxes:
        if not refs and vessel.imo is None:
            raise broken(sts, N_("the status names no container, B/L, booking or vessel"))
        taken.events.append(event(sts))
        return
    for box in boxes:
        eqd = box[0]
        if eqd.get(0) != "CN":
            header.note(
                taken, eqd, N_("equipment of kind {kind} is not a container; skipped"), kind=eqd.get(0)
            )
            continue
        taken.events.append(event(eqd, container_of(eqd), empty_of(eqd, required=False), references_in(box)))
