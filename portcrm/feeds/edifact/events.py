"""One message to its feed events: the reader of its type, after the checks every type shares.

Every message needs a BGM with a document code; its DTM 137 (else the UNB's date) says when the sender
reported its events. A cancellation (BGM 1225 = 1) is skipped with a note: feed events are never withdrawn.
"""

from __future__ import annotations

from portcrm.errors import N_
from portcrm.feeds.edifact.equipment import read_coarri, read_codeco
from portcrm.feeds.edifact.messages import Context, Header, Reader, Taken, placed_in
from portcrm.feeds.edifact.problems import Broken, Problem
from portcrm.feeds.edifact.reader import Message, Seg
from portcrm.feeds.edifact.status import read_iftsta
from portcrm.feeds.edifact.values import broken, date_of, first, place

READERS: dict[str, Reader] = {"CODECO": read_codeco, "COARRI": read_coarri, "IFTSTA": read_iftsta}
CANCELLATION = "1"  # BGM 1225


def message_events(message: Message, ctx: Context) -> Taken:
    """Its events, or the fault that keeps it out; a type PortCRM does not read is skipped with a note."""
    taken = Taken()
    if message.broken is not None:
        taken.broken = message.broken
        return taken
    reader = READERS.get(message.type)
    if reader is None:
        taken.notes.append(
            Problem(
                N_("message type {type} is not one PortCRM reads; skipped"),
                {"type": message.type},
                message.place(),
            )
        )
        return taken
    body = message.segments[1:-1]  # between UNH and UNT
    try:
        header = _header(message, body, ctx)
        if header.bgm.get(2) == CANCELLATION:
            header.note(taken, header.bgm, N_("a cancellation: PortCRM does not withdraw events; skipped"))
            return taken
        reader(header, body, taken)
    except Broken as error:
        taken.events.clear()
        taken.notes.clear()
        taken.broken = placed_in(message, error.problem)
    return taken


def _header(message: Message, body: list[Seg], ctx: Context) -> Header:
    bgm = first(body, "BGM")
    if bgm is None:
        raise Broken(N_("the message has no BGM segment"), place(message.segments[0]))
    if not bgm.get(0):
        raise broken(bgm, N_("the BGM names no document code (1001)"))
    issued = first(body, "DTM", ("137",))
    reported_at = date_of(issued, ctx.tz) if issued is not None else ctx.prepared_at
    return Header(message, ctx, bgm, reported_at)
