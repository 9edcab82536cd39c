"""CODECO (gate in / gate out) and COARRI (discharge / load) reports: one event per container (EQD group).

Read as the SMDG user manuals lay them out (D95B and D00B):

    BGM+34+<document>+9'            document code (1001) -> gate_in / gate_out, discharged / loaded;
                                    message function (1225) 1 = cancellation: skipped with a note
    DTM+137:<issued>:203'           when the terminal said so (else the UNB's date)
    TDT+20+<voyage>+1++...+++<IMO>:146:11:<vessel name>'   main carriage, for matching by vessel call
    LOC+165|11|9+<UN/LOCODE>:139:6+<facility>'
    EQD+CN+<container>+22G1:102:5++<status>+<full/empty>'  4 = empty, 5 = full (required in a CODECO)
      RFF+BN:<booking>' RFF+BM:<B/L>'
      DTM+7:<gate time>:203' (CODECO)  DTM+203:<discharge or load time>:203' (COARRI)
      LOC+165|11|9+...'  MEA, SEL, DAM, TDT (inland carrier): not read
    CNT+16:<containers>'            checked against the EQDs, when present

A CODECO's gate move of an empty box is its return (in) or its pickup (out). An EQD for equipment other
than a container (a chassis, a trailer) is skipped with a note.
"""

from __future__ import annotations

from collections.abc import Mapping

from portcrm.enums import CargoEventType, TimeClassifier
from portcrm.errors import N_
from portcrm.feeds.edifact.messages import Header, Taken, refined, split
from portcrm.feeds.edifact.reader import Seg
from portcrm.feeds.edifact.values import (
    broken,
    container_of,
    empty_of,
    first,
    location_of,
    references_in,
    surest_time,
    vessel_of,
)
from portcrm.services.tracking.feed_events import FeedEvent

_ENDS = frozenset({"CNT"})
_MOVES = ("7", "203")  # DTM qualifiers of a gate move (effective) and of a discharge or load (execution)
_PLACES = {
    CargoEventType.GATE_IN: ("165", "175"),
    CargoEventType.GATE_OUT: ("165", "175"),
    CargoEventType.DISCHARGED: ("11", "165", "175"),
    CargoEventType.LOADED: ("9", "165", "175"),
}


def read_codeco(header: Header, body: list[Seg], taken: Taken) -> None:
    _read(header, body, taken, header.ctx.codes.codeco, empty_required=True)


def read_coarri(header: Header, body: list[Seg], taken: Taken) -> None:
    _read(header, body, taken, header.ctx.codes.coarri, empty_required=False)


def _read(
    header: Header,
    body: list[Seg],
    taken: Taken,
    documents: Mapping[str, CargoEventType],
    *,
    empty_required: bool,
) -> None:
    code = header.bgm.get(0)
    event_type = documents.get(code)
    if event_type is None:
        raise broken(
            header.bgm,
            N_("document code {code} of a {type} has no mapping: add it to the partner's codes"),
            code=code,
            type=header.message.type,
        )
    top, *boxes = split(body, frozenset({"EQD"}), _ENDS)
    if not boxes:
        raise broken(header.bgm, N_("the message reports no container (no EQD segment)"))
    _check_count(top, len(boxes))
    vessel = vessel_of(top)
    # a time before the first EQD stands for every box only if it names a move (not the vessel's ETA or ATA)
    moves = {q: c for q, c in header.ctx.codes.times.items() if q in _MOVES}
    if vessel is not None and vessel.note is not None:
        taken.notes.append(header.placed(vessel.note))
    for group in boxes:
        eqd = group[0]
        if eqd.get(0) != "CN":
            header.note(
                taken, eqd, N_("equipment of kind {kind} is not a container; skipped"), kind=eqd.get(0)
            )
            continue
        container = container_of(eqd)
        empty = empty_of(eqd, required=empty_required)
        own = group[: next((i for i, s in enumerate(group) if s.tag == "TDT"), len(group))]
        when = surest_time(own, header.ctx.codes.times, header.ctx.tz) or surest_time(
            top, moves, header.ctx.tz
        )
        if when is None or when.classifier is not TimeClassifier.ACTUAL:
            raise broken(eqd, N_("no date and time for the container's move (DTM 7 or 203)"))
        taken.events.append(
            FeedEvent(
                source=header.ctx.source,
                event_id=header.event_id(eqd),
                event_type=refined(event_type, empty),
                occurred_at=when.at,
                reported_at=header.reported_at,
                classifier=TimeClassifier.ACTUAL,
                container_number=container,
                empty=empty,
                references=tuple(dict.fromkeys(references_in(top) + references_in(group))),
                vessel_imo=vessel.imo if vessel else None,
                voyage=vessel.voyage if vessel else None,
                location=location_of(own, _PLACES[event_type]) or location_of(top, _PLACES[event_type]),
            )
        )


def _check_count(top: list[Seg], boxes: int) -> None:
    cnt = first(top, "CNT")
    if cnt is None or cnt.get(0) != "16":
        return
    counted = cnt.get(0, 1)
    if not counted.isdigit() or int(counted) != boxes:
        raise broken(
            cnt,
            N_("CNT counts {counted} containers, the message has {actual}"),
            counted=counted,
            actual=boxes,
        )
