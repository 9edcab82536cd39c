"""CODECO, COARRI and IFTSTA messages to feed events, with the built-in codes and a partner's own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from portcrm.enums import CargoEventType as T
from portcrm.enums import TimeClassifier
from portcrm.feeds.edifact.codes import load_codes
from portcrm.feeds.edifact.messages import Taken
from tests.feeds.edifact.builders import (
    SAMPLES,
    TZ,
    VESSEL,
    codeco,
    gate_box,
    iftsta,
    interchange,
    message,
    read,
)

PARTNERS = Path(__file__).parent / "partners.toml"


def at(day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def events(taken: list[Taken]) -> list[tuple[str, T, str, bool | None]]:
    return [(e.event_id, e.event_type, e.container_number, e.empty) for t in taken for e in t.events]


def only_fault(taken: list[Taken]) -> str:
    (fault,) = [t.broken for t in taken if t.broken]
    assert not any(t.events for t in taken if t.broken)
    return fault.render()


class TestCodeco:
    def test_gate_moves_of_full_and_empty_boxes_are_told_apart(self) -> None:
        taken = read((SAMPLES / "codeco_gate.edi").read_bytes())
        assert events(taken) == [
            ("CO2611140935/CO00001/6", T.GATE_IN, "MSCU1234566", False),
            ("CO2611140935/CO00002/5", T.GATE_OUT, "MSKU7302610", False),
            ("CO2611140935/CO00002/11", T.EMPTY_PICKUP, "TGHU8812348", True),
            ("CO2611140935/CO00003/4", T.EMPTY_RETURNED, "CMAU4700120", True),
        ]
        first = taken[0].events[0]
        assert first.source == "edi:YSCT"
        assert first.occurred_at == at(14, 9, 12)
        assert first.reported_at == at(14, 9, 35)  # its DTM 137
        assert first.references == ("SHA2611001",)
        assert first.location == "CNSHA YSCT"
        assert first.classifier is TimeClassifier.ACTUAL
        assert taken[2].events[0].reported_at == at(14, 9, 35)  # no DTM 137: the UNB's date

    def test_a_gate_move_without_full_empty_indicator_breaks_the_message(self) -> None:
        taken = read(interchange(codeco("1", "EQD+CN+MSCU1234566+45G1:102:5", "DTM+7:202611140912:203")))
        assert only_fault(taken) == (
            "message 1 (CODECO), segment EQD number 3, line 5, column 1: the EQD has no full/empty indicator "
            "(8169), which tells a gate move's kind"
        )

    @pytest.mark.parametrize(
        ("segments", "fault"),
        [
            (
                gate_box(container="MSCU1234567"),
                "invalid container number MSCU1234567 (ISO 6346 check digit)",
            ),
            (gate_box(when="202611311200"), "invalid date 202611311200 (format 203)"),
            (["EQD+CN+MSCU1234566+45G1:102:5++2+5", "DTM+7:1411261200:301"], "date format 301 is not one"),
            (["EQD+CN+MSCU1234566+45G1:102:5++2+5"], "no date and time for the container's move"),
            (gate_box(full_empty="9"), "unknown full/empty indicator 9 (4 is empty, 5 full)"),
            ([*gate_box(), "CNT+16:2"], "CNT counts 2 containers, the message has 1"),
            (["RFF+BN:SHA2611001"], "the message reports no container (no EQD segment)"),
            ([*gate_box()[:1], "RFF+BN:SHA#2611", "DTM+7:202611140912:203"], "invalid B/L or booking number"),
        ],
    )
    def test_a_bad_element_breaks_its_message_and_names_it(self, segments: list[str], fault: str) -> None:
        taken = read(interchange(codeco("1", *gate_box()), codeco("2", *segments)))
        assert fault in only_fault(taken)
        assert "message 2 (CODECO)" in only_fault(taken)
        assert [e.container_number for e in taken[0].events] == ["MSCU1234566"]

    def test_an_unknown_document_code_breaks_the_message(self) -> None:
        taken = read(interchange(codeco("1", *gate_box(), document="99")))
        assert "document code 99 of a CODECO has no mapping" in only_fault(taken)

    def test_a_cancellation_or_other_equipment_is_skipped_with_a_note(self) -> None:
        cancelled = message("1", "CODECO:D:95B:UN:ITG14", "BGM+34+GI1+1", *gate_box())
        chassis = codeco("2", "EQD+CH+CHAS123+++2+4", "DTM+7:202611140912:203", *gate_box())
        taken = read(interchange(cancelled, chassis))
        assert [t.broken for t in taken] == [None, None]
        assert [n.message for t in taken for n in t.notes] == [
            "a cancellation: PortCRM does not withdraw events; skipped",
            "equipment of kind {kind} is not a container; skipped",
        ]
        assert events(taken) == [("T0001/2/5", T.GATE_IN, "MSCU1234566", False)]

    def test_a_message_type_not_read_is_noted(self) -> None:
        taken = read(interchange(message("1", "BAPLIE:D:95B:UN:SMDG22", "BGM++1+9")))
        assert taken[0].broken is None
        assert [n.render() for n in taken[0].notes] == [
            "message 1 (BAPLIE): message type BAPLIE is not one PortCRM reads; skipped"
        ]


class TestCoarri:
    def test_a_discharge_report_gives_each_box_with_its_vessel_call(self) -> None:
        taken = read((SAMPLES / "coarri_discharge.edi").read_bytes())
        assert events(taken) == [
            ("CA2611150640/CA00001/10", T.DISCHARGED, "OOLU7540179", False),
            ("CA2611150640/CA00001/18", T.DISCHARGED, "TCNU1122333", False),
        ]
        box = taken[0].events[0]
        assert (box.vessel_imo, box.voyage, box.location) == ("9321483", "026E", "CNSHA")
        assert box.occurred_at == at(15, 4, 12)  # its own DTM 203, not the vessel's arrival
        assert box.references == ("COSU6300123456",)

    def test_a_loading_report_gives_loaded(self) -> None:
        load = message(
            "9",
            "COARRI:D:95B:UN:ITG12",
            "BGM+270+LD1+9",
            VESSEL,
            "LOC+9+CNSHA:139:6",
            "EQD+CN+OOLU7540179+45G1:102:5++2+5",
            "DTM+203:202611160300:203",
            "LOC+9+CNSHA:139:6+YSCT",
        )
        (event,) = read(interchange(load))[0].events
        assert (event.event_type, event.location, event.empty) == (T.LOADED, "CNSHA YSCT", False)

    def test_a_bad_container_breaks_only_its_own_message(self) -> None:
        taken = read((SAMPLES / "coarri_broken.edi").read_bytes())
        assert only_fault(taken) == (
            "message CA00012 (COARRI), segment EQD number 10, line 31, column 1: "
            "invalid container number SEGU5566773 (ISO 6346 check digit)"
        )
        assert [e.container_number for e in taken[0].events + taken[2].events] == [
            "CSNU6300181",
            "FCIU9988777",
        ]


class TestIftsta:
    def test_holds_releases_and_an_estimated_arrival(self) -> None:
        taken = read((SAMPLES / "iftsta_status.edi").read_bytes())
        assert [
            (e.event_type, e.classifier, e.container_number, e.occurred_at) for t in taken for e in t.events
        ] == [
            (T.VESSEL_ARRIVED, TimeClassifier.ESTIMATED, "", at(14, 18, 0)),
            (T.CUSTOMS_HOLD, TimeClassifier.ACTUAL, "OOLU7540179", at(15, 8, 30)),
            (T.CUSTOMS_RELEASED, TimeClassifier.ACTUAL, "OOLU7540179", at(15, 9, 45)),
            (T.CARRIER_RELEASED, TimeClassifier.ACTUAL, "", at(15, 10, 0)),
        ]
        arrival = taken[0].events[0]
        assert (arrival.vessel_imo, arrival.voyage, arrival.references) == (
            "9321483",
            "026E",
            ("COSU6300123456",),
        )
        assert arrival.source == "edi:COSCON"
        assert taken[1].events[0].references == ("COSU6300123789",)  # the consignment's B/L
        assert [n.render() for n in taken[0].notes] == [
            "message ST00001 (IFTSTA), segment STS number 20, line 22, column 1: "
            "status code RL is not tracked (listed as ignored); skipped"
        ]

    def test_an_actual_arrival_wins_over_the_estimate_in_the_same_status(self) -> None:
        status = iftsta("1", "STS+1+VA", "DTM+132:202611141800:203", "DTM+178:202611141912:203", VESSEL)
        (event,) = read(interchange(status))[0].events
        assert (event.classifier, event.occurred_at) == (TimeClassifier.ACTUAL, at(14, 19, 12))

    def test_an_estimated_box_move_is_noted_not_taken(self) -> None:
        status = iftsta("1", "STS+1+UV", "DTM+132:202611141800:203", "EQD+CN+OOLU7540179")
        (taken,) = read(interchange(status))
        assert taken.events == []
        assert "only arrivals and departures are planned ahead" in taken.notes[0].render()

    def test_a_status_naming_nothing_to_match_breaks_its_message(self) -> None:
        taken = read(interchange(iftsta("1", "STS+1+CT", "DTM+334:202611151000:203")))
        assert "the status names no container, B/L, booking or vessel" in only_fault(taken)

    def test_a_terminals_own_codes_need_its_mapping(self) -> None:
        data = (SAMPLES / "iftsta_partner_codes.edi").read_bytes()
        assert "status code 25 of sender SIPGYD has no mapping" in only_fault(read(data))
        (taken,) = read(data, load_codes(PARTNERS))
        assert [(e.event_type, e.container_number) for e in taken.events] == [
            (T.CUSTOMS_HOLD, "OOLU7540179"),
            (T.CUSTOMS_RELEASED, "OOLU7540179"),
        ]
        assert [n.params for n in taken.notes] == [{"code": "99"}]

    def test_the_same_content_gives_the_same_event_ids(self) -> None:
        data = (SAMPLES / "iftsta_status.edi").read_bytes()
        assert events(read(data)) == events(read(data))
        ids = [e.event_id for t in read(data) for e in t.events]
        assert len(set(ids)) == len(ids)
