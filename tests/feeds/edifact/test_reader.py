"""Reading interchange files with pydifact: the envelope, the messages, and where each fault sits."""

from __future__ import annotations

import datetime as dt

import pytest

from portcrm.feeds.edifact.problems import Unreadable
from portcrm.feeds.edifact.reader import read_interchange
from tests.feeds.edifact.builders import SAMPLES, codeco, gate_box, interchange


class TestTheEnvelope:
    def test_reads_sender_control_reference_and_date_from_the_unb(self) -> None:
        read = read_interchange((SAMPLES / "codeco_gate.edi").read_bytes())
        assert (read.sender, read.recipient, read.control_reference) == ("YSCT", "PORTCRM", "CO2611140935")
        assert read.prepared_at == dt.datetime(2026, 11, 14, 9, 35)
        assert [(m.reference, m.type, m.version) for m in read.messages] == [
            ("CO00001", "CODECO", "D:95B:UN:ITG14"),
            ("CO00002", "CODECO", "D:95B:UN:ITG14"),
            ("CO00003", "CODECO", "D:95B:UN:ITG14"),
        ]
        assert read.problems == []
        assert all(m.broken is None for m in read.messages)

    def test_numbers_each_segment_in_its_message_and_knows_its_line(self) -> None:
        read = read_interchange((SAMPLES / "codeco_gate.edi").read_bytes())
        second = read.messages[1]
        eqd = [s for s in second.segments if s.tag == "EQD"][1]
        assert (eqd.number, eqd.line, eqd.column) == (11, 28, 1)
        assert eqd.get(1) == "TGHU8812348"
        assert eqd.get(2, 0) == "22G1"  # a composite, its components by index
        assert eqd.get(5) == "4"
        assert eqd.get(9) == ""  # absent: empty, never an error

    def test_segments_on_one_line_have_their_columns(self) -> None:
        data = interchange(codeco("1", *gate_box())).replace(b"'\n", b"'")
        read = read_interchange(data)
        bgm = read.messages[0].segments[1]
        assert (bgm.tag, bgm.line, bgm.column) == ("BGM", 1, data.index(b"BGM") + 1)

    def test_release_character_and_utf8_text_come_through(self) -> None:
        data = interchange(codeco("1", "FTX+AAI+++港口?'南?+北?:东", *gate_box())).replace(b"UNOA", b"UNOY")
        ftx = read_interchange(data).messages[0].segments[2]
        assert ftx.get(3) == "港口'南+北:东"

    def test_without_una_the_default_service_characters_apply(self) -> None:
        read = read_interchange(interchange(codeco("1", *gate_box()), una=False))
        assert read.messages[0].broken is None


class TestBrokenMessages:
    def test_a_segment_pydifact_cannot_read_breaks_its_message_only(self) -> None:
        data = interchange(
            codeco("1", *gate_box()), codeco("2", "eqd+CN+MSCU1234566"), codeco("3", *gate_box())
        )
        read = read_interchange(data)
        assert [m.broken is None for m in read.messages] == [True, False, True]
        problem = read.messages[1].broken
        assert problem is not None
        assert (problem.place.message_ref, problem.place.tag, problem.place.segment) == ("2", "EQD", 3)
        assert problem.place.line == 11
        assert "cannot be read" in problem.render()

    def test_a_message_without_its_unt_is_broken_and_the_next_one_read(self) -> None:
        first = codeco("1", *gate_box())[:-1]  # UNT left out
        read = read_interchange(interchange(first, codeco("2", *gate_box()), unz="UNZ+2+T0001"))
        assert [m.reference for m in read.messages] == ["1", "2"]
        assert read.messages[0].broken is not None
        assert "UNT is missing" in read.messages[0].broken.render()
        assert read.messages[1].broken is None

    def test_a_wrong_segment_count_in_unt_breaks_the_message(self) -> None:
        spoilt = [*codeco("1", *gate_box())[:-1], "UNT+9+1"]
        broken = read_interchange(interchange(spoilt)).messages[0].broken
        assert broken is not None
        assert broken.render() == (
            "message 1 (CODECO), segment UNT number 6, line 8, column 1: "
            "UNT counts 9 segments, the message has 6"
        )

    def test_a_file_cut_short_keeps_its_complete_messages(self) -> None:
        data = interchange(codeco("1", *gate_box()), codeco("2", *gate_box()), unz="")
        data = data[: data.rindex(b"DTM+7")] + b"DTM+7:2026"  # cut inside the second message
        read = read_interchange(data)
        assert read.messages[0].broken is None
        assert read.messages[1].broken is not None
        assert "not terminated" in read.messages[1].broken.render()
        assert [p.render() for p in read.problems] == [
            "segment UNZ: UNZ is missing: the file may be cut short"
        ]

    def test_unz_counting_other_messages_is_a_problem_of_the_file(self) -> None:
        read = read_interchange(interchange(codeco("1", *gate_box()), unz="UNZ+3+OTHER"))
        assert [p.message for p in read.problems] == [
            "UNZ counts {counted} messages, the interchange has {actual}",
            "UNZ closes interchange {closed}, not {opened}",
        ]


class TestUnreadableFiles:
    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (b"", "the file is empty"),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "the file is not EDIFACT text (binary content)"),
            (b"customer,name\nNBF001,Ningbo\n", "it is not an EDIFACT interchange"),
            (b"UNA:+", "the UNA service string advice is incomplete"),
            (b"UNB+UNOA+YSCT+PORTCRM+261114:0935+1'", "the UNB header cannot be read"),
            (b"UNB+UNOA:2+YSCT+PORTCRM+261114:0935'", "the UNB control reference is missing"),
        ],
    )
    def test_is_refused_whole_with_its_reason(self, data: bytes, reason: str) -> None:
        with pytest.raises(Unreadable) as refused:
            read_interchange(data)
        assert reason in refused.value.problem.render()
