"""Interchanges built in the tests, with their UNT and UNZ counts right unless a test spoils them on purpose.

The sample files in samples/ are what a terminal sends (written by these same rules); the builders make the
variations a test needs around them.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from portcrm.feeds.edifact.codes import PartnerCodes, load_codes
from portcrm.feeds.edifact.events import message_events
from portcrm.feeds.edifact.messages import Context, Taken
from portcrm.feeds.edifact.reader import read_interchange

SAMPLES = Path(__file__).parent / "samples"
VESSEL = "TDT+20+026E+1++COS:172:20+++9321483:146:11:DONGHAI PIONEER"


def message(reference: str, kind: str, *segments: str) -> list[str]:
    body = [f"UNH+{reference}+{kind}", *segments]
    return [*body, f"UNT+{len(body) + 1}+{reference}"]


def interchange(
    *messages: list[str],
    sender: str = "YSCT",
    control: str = "T0001",
    unz: str | None = None,
    una: bool = True,
) -> bytes:
    """The messages in an envelope; `unz=""` leaves the UNZ out."""
    segments = [f"UNB+UNOA:2+{sender}:ZZZ+PORTCRM:ZZZ+261114:0935+{control}"]
    for segs in messages:
        segments += segs
    segments.append(f"UNZ+{len(messages)}+{control}" if unz is None else unz)
    text = "".join(f"{segment}'\n" for segment in segments if segment)
    return (("UNA:+.? '\n" if una else "") + text).encode()


def codeco(reference: str, *segments: str, document: str = "34") -> list[str]:
    return message(reference, "CODECO:D:95B:UN:ITG14", f"BGM+{document}+GI{reference}+9", *segments)


def gate_box(container: str = "MSCU1234566", full_empty: str = "5", when: str = "202611140912") -> list[str]:
    return [f"EQD+CN+{container}+45G1:102:5++2+{full_empty}", "RFF+BN:SHA2611001", f"DTM+7:{when}:203"]


def iftsta(reference: str, *segments: str) -> list[str]:
    return message(
        reference, "IFTSTA:D:99B:UN", f"BGM+23+ST{reference}+9", "DTM+137:202611151000:203", *segments
    )


TZ = ZoneInfo("Asia/Shanghai")


def read(data: bytes, codes: PartnerCodes | None = None) -> list[Taken]:
    """Each message's events, notes or fault, read by the real parser with the given (else built-in) codes."""
    interchange = read_interchange(data)
    table = (codes or load_codes()).for_sender(interchange.sender)
    ctx = Context(
        interchange.sender,
        interchange.control_reference,
        table,
        TZ,
        interchange.prepared_at.replace(tzinfo=TZ),
    )
    return [message_events(message, ctx) for message in interchange.messages]
